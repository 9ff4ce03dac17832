package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.triggergate.config.GatewayConfig.Latency;
import dev.triggergate.config.GatewayConfig.LatencyShape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Each distribution's draws land where they should: seeded, over thousands of draws, with bounds
 * several standard errors wide (so a correct sampler passes with any seed, and a wrong one fails).
 */
class InjectedLatencyTest {
  private static final int DRAWS = 10_000;
  private static final long HOUR_MS = 3_600_000;

  @Test
  void fixedIsTheSameEveryTime() {
    double[] ms = draws(latency(LatencyShape.FIXED, 250, 0, 0, 0, 0, 0, HOUR_MS, 0), 10);

    assertThat(ms).containsOnly(250.0);
  }

  @Test
  void uniformFillsItsRangeEvenly() {
    double[] ms = draws(latency(LatencyShape.UNIFORM, 0, 100, 300, 0, 0, 0, HOUR_MS, 0), 1);

    assertThat(Arrays.stream(ms).min().orElseThrow()).isGreaterThanOrEqualTo(100);
    assertThat(Arrays.stream(ms).max().orElseThrow()).isLessThanOrEqualTo(300);
    // Mean 200, standard error 57.7 / sqrt(10,000) = 0.58 ms; quartiles 150 and 250.
    assertThat(mean(ms)).isCloseTo(200, within(3.0));
    assertThat(quantile(ms, 0.25)).isCloseTo(150, within(5.0));
    assertThat(quantile(ms, 0.75)).isCloseTo(250, within(5.0));
  }

  @Test
  void lognormalHasItsMedianAndTheSpreadOfItsLogarithm() {
    double[] ms = draws(latency(LatencyShape.LOGNORMAL, 0, 0, 0, 100, 0.5, 0, HOUR_MS, 0), 1);

    // ln X is normal(ln 100, 0.5): its mean and standard deviation, within ~6 standard errors.
    double[] logs = Arrays.stream(ms).map(Math::log).toArray();
    assertThat(mean(logs)).isCloseTo(Math.log(100), within(0.03));
    assertThat(standardDeviation(logs)).isCloseTo(0.5, within(0.03));
    assertThat(quantile(ms, 0.5)).isCloseTo(100, within(4.0));
    // The right tail: P(X > 100 e^0.5) = P(Z > 1) = 0.159.
    assertThat(share(ms, 100 * Math.exp(0.5))).isCloseTo(0.159, within(0.02));
  }

  @Test
  void clampsHoldTheDrawsInsideThemAndPileTheRestAtTheEdges() {
    double[] ms = draws(latency(LatencyShape.LOGNORMAL, 0, 0, 0, 100, 0.5, 80, 150, 0), 1);

    assertThat(Arrays.stream(ms).min().orElseThrow()).isEqualTo(80);
    assertThat(Arrays.stream(ms).max().orElseThrow()).isEqualTo(150);
    // P(X >= 150) = P(Z > ln 1.5 / 0.5 = 0.811) = 0.209; P(X <= 80) = P(Z < -0.446) = 0.328.
    assertThat(Arrays.stream(ms).filter(v -> v == 150).count() / (double) DRAWS)
        .isCloseTo(0.209, within(0.02));
    assertThat(Arrays.stream(ms).filter(v -> v == 80).count() / (double) DRAWS)
        .isCloseTo(0.328, within(0.02));
  }

  @Test
  void thePerItemShareGrowsWithTheBatch() {
    Latency config = latency(LatencyShape.FIXED, 10, 0, 0, 0, 0, 0, HOUR_MS, 200);

    assertThat(draws(config, 5)).containsOnly(11.0);
    assertThat(draws(config, 5_000)).containsOnly(1_010.0);
  }

  @Test
  void theSameSeedGivesTheSameDelaysAndAnotherSeedOthers() {
    Latency seeded = latency(LatencyShape.UNIFORM, 0, 0, 1_000, 0, 0, 0, HOUR_MS, 0);

    assertThat(draws(seeded, 1)).isEqualTo(draws(seeded, 1));
    assertThat(draws(withSeed(seeded, 7), 1)).isNotEqualTo(draws(seeded, 1));
  }

  @Test
  void noneDelaysNothingWhateverTheClamps() {
    InjectedLatency none =
        new InjectedLatency(latency(LatencyShape.NONE, 0, 0, 0, 0, 0, 500, HOUR_MS, 0));

    assertThat(none.isOn()).isFalse();
    assertThat(none.nextNanos(10)).isZero();
  }

  private static double[] draws(Latency config, int items) {
    InjectedLatency.Sampler sampler = new InjectedLatency(config).sampler();
    double[] ms = new double[DRAWS];
    for (int i = 0; i < DRAWS; i++) {
      ms[i] = sampler.nextNanos(items) / 1e6;
    }
    return ms;
  }

  private static Latency latency(
      LatencyShape shape,
      long fixedMs,
      long minMs,
      long maxMs,
      long medianMs,
      double sigma,
      long clampMinMs,
      long clampMaxMs,
      long perItemMicros) {
    return new Latency(
        shape, fixedMs, minMs, maxMs, medianMs, sigma, clampMinMs, clampMaxMs, perItemMicros, 42L);
  }

  private static Latency withSeed(Latency config, long seed) {
    return new Latency(
        config.shape(),
        config.fixedMs(),
        config.minMs(),
        config.maxMs(),
        config.medianMs(),
        config.sigma(),
        config.clampMinMs(),
        config.clampMaxMs(),
        config.perItemMicros(),
        seed);
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElseThrow();
  }

  private static double standardDeviation(double[] values) {
    double mean = mean(values);
    return Math.sqrt(Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / values.length);
  }

  private static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) (q * (sorted.length - 1))];
  }

  private static double share(double[] values, double above) {
    return Arrays.stream(values).filter(v -> v > above).count() / (double) values.length;
  }
}
