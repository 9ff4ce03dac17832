package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.ResponseFormat;
import dev.triggergate.engine.Origin;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The refusals that need only the request head: content type, charset and {@code ?format=}. It
 * records what the later steps need, so the body is read only for a request that can succeed.
 */
public final class Admission implements Handler<RoutingContext> {
  /** Where the next steps find the {@link BodyKind}. */
  public static final String KIND = "tg.kind";

  /** Where the next steps find the {@link RequestFacts}. */
  public static final String FACTS = "tg.facts";

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    // One token each, or the gateway and Altcraft could each pick a different one.
    if (request.headers().getAll(HttpHeaders.AUTHORIZATION).size() > 1) {
      throw ApiError.invalid("more than one Authorization header");
    }
    if (request.params().getAll("token").size() > 1) {
      throw ApiError.invalid("more than one token in the query");
    }
    ResponseFormat queryFormat = queryFormat(request.getParam("format"));
    ctx.put(RequestKeys.FORMAT, queryFormat);
    ctx.put(KIND, BodyKind.of(request.headers().getAll(HttpHeaders.CONTENT_TYPE)));
    ctx.put(
        FACTS,
        new RequestFacts(
            ctx.get(RequestKeys.REQUEST_ID),
            bearer(request.getHeader(HttpHeaders.AUTHORIZATION)),
            emptyToNull(request.getParam("token")),
            queryFormat,
            request.getHeader(HttpHeaders.CONTENT_TYPE),
            Origin.of(request)));
    ctx.next();
  }

  private static ResponseFormat queryFormat(String value) {
    if (value == null) {
      return null;
    }
    ResponseFormat format = ResponseFormat.named(value);
    if (format == null) {
      throw ApiError.invalid("format must be json or xml, got \"" + value + "\"");
    }
    return format;
  }

  private static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 7) {
      return null;
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return emptyToNull(authorization.substring(7).trim());
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
