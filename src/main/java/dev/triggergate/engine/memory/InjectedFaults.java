package dev.triggergate.engine.memory;

import dev.triggergate.config.GatewayConfig.Fault;
import dev.triggergate.config.GatewayConfig.Faults;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decides which injected fault, if any, befalls a batch (SPEC §7 "memory"): the rules in order, the
 * first in scope (trigger, token) whose probability fires. Each event loop draws from its own
 * generator, split from one seeded root, as {@link InjectedLatency} does.
 */
final class InjectedFaults {
  private final Faults config;
  private final List<Fault> rules;
  private final SplittableRandom root;
  private final ThreadLocal<SplittableRandom> perThread;

  InjectedFaults(Faults config) {
    this.config = config;
    this.rules = config.rules();
    this.root =
        config.seed() == null ? new SplittableRandom() : new SplittableRandom(config.seed());
    this.perThread = ThreadLocal.withInitial(this::split);
  }

  Faults config() {
    return config;
  }

  /** The fault for a batch for {@code triggerId} with {@code token}, or null for none. */
  Fault pick(long triggerId, String token) {
    return rules.isEmpty() ? null : pick(perThread.get(), triggerId, token);
  }

  /** One generator of its own, for a caller that draws a sequence alone (a test, one thread). */
  Picker picker() {
    SplittableRandom random = split();
    return (triggerId, token) -> pick(random, triggerId, token);
  }

  /** A sequence of decisions from one generator. */
  @FunctionalInterface
  interface Picker {
    Fault pick(long triggerId, String token);
  }

  private synchronized SplittableRandom split() {
    return root.split();
  }

  private Fault pick(SplittableRandom random, long triggerId, String token) {
    for (Fault rule : rules) {
      boolean inScope =
          (rule.triggerId() == null || rule.triggerId() == triggerId)
              && (rule.token() == null || rule.token().equals(token));
      if (inScope && random.nextDouble() < rule.probability()) {
        return rule;
      }
    }
    return null;
  }
}
