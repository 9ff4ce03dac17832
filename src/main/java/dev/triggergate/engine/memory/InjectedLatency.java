package dev.triggergate.engine.memory;

import dev.triggergate.config.GatewayConfig.Latency;
import dev.triggergate.config.GatewayConfig.LatencyShape;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Draws the delays the memory engine puts before its answers (SPEC §7 "memory"), so a client can be
 * load-tested against a slow Altcraft: a fixed delay, a uniform or a log-normal one (a long right
 * tail, as real service times have), clamped, plus a share per batch item. Delays are waited out on
 * timers, never on a thread.
 *
 * <p>Each event loop draws from its own generator, split from one seeded root, so a seed makes
 * every loop's sequence repeatable without a lock on the hot path.
 */
final class InjectedLatency {
  private final Latency config;
  private final SplittableRandom root;
  private final ThreadLocal<SplittableRandom> perThread;

  InjectedLatency(Latency config) {
    this.config = config;
    this.root =
        config.seed() == null ? new SplittableRandom() : new SplittableRandom(config.seed());
    this.perThread = ThreadLocal.withInitial(this::split);
  }

  Latency config() {
    return config;
  }

  /** Whether any delay is injected at all. */
  boolean isOn() {
    return config.shape() != LatencyShape.NONE || config.perItemMicros() > 0;
  }

  /** The next delay, in nanoseconds, for a batch of {@code items}. */
  long nextNanos(int items) {
    return nanos(perThread.get(), items);
  }

  /** One generator of its own, for a caller that draws a sequence alone (a test, one thread). */
  Sampler sampler() {
    SplittableRandom random = split();
    return items -> nanos(random, items);
  }

  /** A sequence of delays from one generator. */
  @FunctionalInterface
  interface Sampler {
    long nextNanos(int items);
  }

  private synchronized SplittableRandom split() {
    return root.split();
  }

  private long nanos(SplittableRandom random, int items) {
    double ms =
        switch (config.shape()) {
          case NONE -> 0;
          case FIXED -> config.fixedMs();
          case UNIFORM -> config.minMs() + random.nextDouble() * (config.maxMs() - config.minMs());
          case LOGNORMAL -> config.medianMs() * Math.exp(config.sigma() * random.nextGaussian());
        };
    double clamped =
        config.shape() == LatencyShape.NONE
            ? 0
            : Math.max(config.clampMinMs(), Math.min(config.clampMaxMs(), ms));
    return (long) (clamped * 1_000_000)
        + TimeUnit.MICROSECONDS.toNanos(config.perItemMicros() * (long) items);
  }
}
