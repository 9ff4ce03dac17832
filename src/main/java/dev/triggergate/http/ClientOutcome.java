package dev.triggergate.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** What the client got, for the access log and metrics, once the exchange is over. */
final class ClientOutcome {
  /**
   * The status recorded when the connection closed before any answer was sent (nginx's "client
   * closed request"): without it a cut-off request would count as the 200 a response starts with.
   */
  static final int CLOSED_BEFORE_ANSWER = 499;

  private ClientOutcome() {}

  static int status(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    return response.ended() || response.headWritten()
        ? response.getStatusCode()
        : CLOSED_BEFORE_ANSWER;
  }

  /** Whether the answer started but the connection closed before its end. */
  static boolean incomplete(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    return response.headWritten() && !response.ended();
  }
}
