package dev.triggergate.auth;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.config.GatewayConfig;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.intake.Admission;
import dev.triggergate.intake.RequestFacts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The two pipeline steps that refuse a token the allow-list does not hold with 403: one on the
 * request head ({@code Authorization: Bearer}, {@code ?token=}) before the body is read, one on the
 * token the decoded body names. Every token a request presents must be allowed.
 *
 * <p>Refusals never carry the token: not in {@code error_debug}, not in a log line, not in a tag.
 */
public final class TokenGate {
  private static final String DENIED = "token not allowed";

  private final Handler<RoutingContext> beforeBody;
  private final Handler<RoutingContext> afterBody;

  private TokenGate(Handler<RoutingContext> beforeBody, Handler<RoutingContext> afterBody) {
    this.beforeBody = beforeBody;
    this.afterBody = afterBody;
  }

  /**
   * The steps for the configured allow-list; they let everything through when it is empty. Reads
   * the hashes file, so it belongs to start-up, off the event loop.
   */
  public static TokenGate of(GatewayConfig.Auth auth, MeterRegistry registry) {
    TokenAllowList allowList = TokenAllowList.load(auth);
    if (allowList.allowsEveryToken()) {
      return new TokenGate(RoutingContext::next, RoutingContext::next);
    }
    return new TokenGate(
        new HeadCheck(allowList, refusals(registry, "header"), refusals(registry, "query")),
        new BodyCheck(allowList, refusals(registry, "body")));
  }

  /** The step after admission and before any body byte is read. */
  public Handler<RoutingContext> beforeBody() {
    return beforeBody;
  }

  /** The step after decoding, before the rate policies that need the body and the engine. */
  public Handler<RoutingContext> afterBody() {
    return afterBody;
  }

  private static Counter refusals(MeterRegistry registry, String where) {
    return Counter.builder("gateway_auth_refusals")
        .description("Requests refused by the token allow-list, by where the token was")
        .tag("where", where)
        .register(registry);
  }

  private static ApiError denied() {
    return ApiError.of(ErrorCode.ACCESS_DENIED, DENIED);
  }

  /** Refuses an unknown header or query token while the body still waits in the socket. */
  private static final class HeadCheck implements Handler<RoutingContext> {
    private final TokenAllowList allowList;
    private final Counter header;
    private final Counter query;

    HeadCheck(TokenAllowList allowList, Counter header, Counter query) {
      this.allowList = allowList;
      this.header = header;
      this.query = query;
    }

    @Override
    public void handle(RoutingContext ctx) {
      RequestFacts facts = ctx.get(Admission.FACTS);
      if (refused(facts.headerToken(), header) || refused(facts.queryToken(), query)) {
        ctx.fail(denied());
        return;
      }
      ctx.next();
    }

    private boolean refused(String token, Counter counter) {
      if (token == null || allowList.allows(token)) {
        return false;
      }
      counter.increment();
      return true;
    }
  }

  /** Refuses an unknown token named in the body, once the body is decoded. */
  private static final class BodyCheck implements Handler<RoutingContext> {
    private final TokenAllowList allowList;
    private final Counter body;

    BodyCheck(TokenAllowList allowList, Counter body) {
      this.allowList = allowList;
      this.body = body;
    }

    @Override
    public void handle(RoutingContext ctx) {
      StartBatch batch = ctx.get(RequestKeys.BATCH);
      RequestFacts facts = ctx.get(Admission.FACTS);
      String token = batch.token();
      // The batch's token is the header's or the query's when the body names none; those passed
      // the head check already, so only a token of the body's own is looked up (and counted).
      boolean fromHead = token.equals(facts.headerToken()) || token.equals(facts.queryToken());
      if (!fromHead && !allowList.allows(token)) {
        body.increment();
        ctx.fail(denied());
        return;
      }
      ctx.next();
    }
  }
}
