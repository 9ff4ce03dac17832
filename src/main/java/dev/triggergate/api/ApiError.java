package dev.triggergate.api;

import java.util.List;
import java.util.Map;

/**
 * The one failure type of the pipeline: it knows its Altcraft error code and the {@code
 * error_debug} the client may read. Stack traces are not filled in: these are answers, not bugs.
 */
public final class ApiError extends RuntimeException {
  /** The {@code error_debug} Altcraft gives for a body over the cap. */
  public static final String TOO_LARGE = "http: request body too large";

  private final ErrorCode code;
  private final List<String> details;
  private final boolean closeConnection;
  private final ResponseFormat format;
  private final Map<String, String> headers;

  private ApiError(
      ErrorCode code,
      String debug,
      List<String> details,
      boolean closeConnection,
      ResponseFormat format,
      Map<String, String> headers) {
    super(debug, null, false, false);
    this.code = code;
    this.details = List.copyOf(details);
    this.closeConnection = closeConnection;
    this.format = format;
    this.headers = Map.copyOf(headers);
  }

  private ApiError(ErrorCode code, String debug, List<String> details, boolean closeConnection) {
    this(code, debug, details, closeConnection, null, Map.of());
  }

  public static ApiError of(ErrorCode code, String debug) {
    return new ApiError(code, debug, List.of(), false);
  }

  public static ApiError invalid(String debug) {
    return of(ErrorCode.INVALID_REQUEST, debug);
  }

  /** A schema violation: the first one as the debug text, up to ten in {@code errors}. */
  public static ApiError invalid(String debug, List<String> details) {
    return new ApiError(ErrorCode.INVALID_REQUEST, debug, details, false);
  }

  /** Too large: the rest of the body is not read, so the connection cannot be reused. */
  public static ApiError tooLarge() {
    return new ApiError(ErrorCode.INVALID_REQUEST, TOO_LARGE, List.of(), true);
  }

  /** The same error, after which the connection is closed (the request's framing is lost). */
  public ApiError closing() {
    return new ApiError(code, debug(), details, true, format, headers);
  }

  /** The same error, to be answered in {@code format} (known once the body named it). */
  public ApiError inFormat(ResponseFormat format) {
    return new ApiError(code, debug(), details, closeConnection, format, headers);
  }

  /** The same error, answered with these response headers as well (e.g. {@code Retry-After}). */
  public ApiError withHeaders(Map<String, String> extra) {
    Map<String, String> all = new java.util.LinkedHashMap<>(headers);
    all.putAll(extra);
    return new ApiError(code, debug(), details, closeConnection, format, all);
  }

  /** Response headers that belong to this answer. */
  public Map<String, String> headers() {
    return headers;
  }

  /** The format the body asked for, or null when the body was not read that far. */
  public ResponseFormat format() {
    return format;
  }

  public ErrorCode code() {
    return code;
  }

  public String debug() {
    return getMessage();
  }

  public List<String> details() {
    return details;
  }

  public boolean closeConnection() {
    return closeConnection;
  }
}
