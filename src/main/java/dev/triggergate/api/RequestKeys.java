package dev.triggergate.api;

/** Names of the per-request values the pipeline steps leave for each other in the context. */
public final class RequestKeys {
  /** The request id (String). */
  public static final String REQUEST_ID = "tg.request-id";

  /** The response format known so far ({@link ResponseFormat}), before the body names one. */
  public static final String FORMAT = "tg.format";

  /** The validated batch ({@code StartBatch}). */
  public static final String BATCH = "tg.batch";

  /** The envelope's error code of a refused request (Integer), for the access log. */
  public static final String ERROR = "tg.error";

  private RequestKeys() {}
}
