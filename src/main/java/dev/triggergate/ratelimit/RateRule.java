package dev.triggergate.ratelimit;

import dev.triggergate.api.Sha256;
import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.engine.StartBatch;
import io.micrometer.core.instrument.Counter;
import io.vertx.ext.web.RoutingContext;
import java.util.HexFormat;

/** One policy with its store: what it counts for a request, and under which key. */
record RateRule(Policy policy, LimiterStore store, Counter refusals) {

  /** The permits this request spends: 1, or its {@code data} items for a profiles policy. */
  int permits(StartBatch batch) {
    return policy.unit() == PolicyUnit.PROFILES ? batch.itemCount() : 1;
  }

  /**
   * The key this request counts under. Tokens are hashed: the key may end up in Redis, and a token
   * must not.
   */
  String key(RoutingContext ctx, StartBatch batch) {
    return switch (policy.key()) {
      case GLOBAL -> "*";
      case CLIENT_IP ->
          ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
      case TOKEN -> hash(batch.token());
      case TRIGGER -> Long.toString(batch.triggerId());
      case TOKEN_TRIGGER -> hash(batch.token()) + ":" + batch.triggerId();
    };
  }

  private static String hash(String token) {
    byte[] digest = Sha256.of(token);
    return HexFormat.of().formatHex(digest, 0, 12);
  }
}
