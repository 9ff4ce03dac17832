package dev.triggergate.api;

/** The error rows of Altcraft's envelope (SPEC §5): the code, its HTTP status and its text. */
public enum ErrorCode {
  INVALID_REQUEST(400, "Invalid request"),
  TOKEN_REQUIRED(401, "API token required"),
  ACCESS_DENIED(403, "Access denied"),
  TRIGGER_NOT_FOUND(404, "Trigger not found"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  DUPLICATE_REQUEST(409, "Duplicate request"),
  TOO_MANY_REQUESTS(429, "Too many requests"),
  INTERNAL_ERROR(500, "Internal error"),
  BAD_GATEWAY(502, "Bad gateway"),
  SERVICE_UNAVAILABLE(503, "Service unavailable"),
  GATEWAY_TIMEOUT(504, "Gateway timeout");

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
