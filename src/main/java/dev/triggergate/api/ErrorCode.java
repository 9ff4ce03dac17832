package dev.triggergate.api;

/** The error rows of Altcraft's envelope (SPEC §5): the code, its HTTP status and its text. */
public enum ErrorCode {
  INVALID_REQUEST(400, "Invalid request"),
  TOKEN_REQUIRED(401, "API token required"),
  ACCESS_DENIED(403, "Access denied"),
  TRIGGER_NOT_FOUND(404, "Trigger not found"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  REQUEST_TIMEOUT(408, "Request timeout"),
  DUPLICATE_REQUEST(409, "Duplicate request"),
  URI_TOO_LONG(414, "URI too long"),
  TOO_MANY_REQUESTS(429, "Too many requests"),
  HEADERS_TOO_LARGE(431, "Request header fields too large"),
  INTERNAL_ERROR(500, "Internal error"),
  BAD_GATEWAY(502, "Bad gateway"),
  SERVICE_UNAVAILABLE(503, "Service unavailable"),
  GATEWAY_TIMEOUT(504, "Gateway timeout"),
  VERSION_NOT_SUPPORTED(505, "HTTP version not supported");

  private final int code;
  private final String text;

  ErrorCode(int code, String text) {
    this.code = code;
    this.text = text;
  }

  public int code() {
    return code;
  }

  public String text() {
    return text;
  }
}
