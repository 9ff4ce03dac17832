package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.triggergate.config.GatewayConfig.Fault;
import dev.triggergate.config.GatewayConfig.FaultKind;
import dev.triggergate.config.GatewayConfig.Faults;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fault probabilities and scopes, over many seeded draws, within a few standard errors. */
class InjectedFaultsTest {
  private static final int BATCHES = 20_000;

  @Test
  void eachRuleFiresAtItsProbabilityInOrderAndOnlyInItsScope() {
    InjectedFaults faults =
        new InjectedFaults(
            new Faults(
                3L,
                List.of(
                    rule(FaultKind.ERROR, 0.1, null, null),
                    rule(FaultKind.RESET, 0.5, 9L, null),
                    rule(FaultKind.HANG, 0.2, null, "tok-slow"))));
    InjectedFaults.Picker picker = faults.picker();

    Map<FaultKind, Double> trigger8 = shares(picker, 8, "tok");
    Map<FaultKind, Double> trigger9 = shares(picker, 9, "tok");
    Map<FaultKind, Double> slowToken = shares(picker, 8, "tok-slow");

    // Standard error of a share near 0.1 over 20,000 draws: 0.002; the bounds are 5 of them.
    assertThat(trigger8.get(FaultKind.ERROR)).isCloseTo(0.1, within(0.01));
    assertThat(trigger8.get(FaultKind.RESET)).isZero();
    assertThat(trigger8.get(FaultKind.HANG)).isZero();
    // A later rule is tried only when the earlier ones did not fire: 0.9 × 0.5.
    assertThat(trigger9.get(FaultKind.ERROR)).isCloseTo(0.1, within(0.01));
    assertThat(trigger9.get(FaultKind.RESET)).isCloseTo(0.45, within(0.02));
    assertThat(slowToken.get(FaultKind.HANG)).isCloseTo(0.18, within(0.015));
    assertThat(slowToken.get(FaultKind.RESET)).isZero();
  }

  @Test
  void noRulesNoFaultAndTheSameSeedTheSameDecisions() {
    assertThat(new InjectedFaults(new Faults(null, List.of())).pick(8, "t")).isNull();
    Faults config = new Faults(5L, List.of(rule(FaultKind.CLOSE, 0.5, null, null)));
    InjectedFaults.Picker first = new InjectedFaults(config).picker();
    InjectedFaults.Picker second = new InjectedFaults(config).picker();
    for (int i = 0; i < 1_000; i++) {
      assertThat(first.pick(8, "t")).isEqualTo(second.pick(8, "t"));
    }
  }

  private static Map<FaultKind, Double> shares(
      InjectedFaults.Picker picker, long trigger, String token) {
    Map<FaultKind, Double> shares = new EnumMap<>(FaultKind.class);
    for (FaultKind kind : FaultKind.values()) {
      shares.put(kind, 0.0);
    }
    for (int i = 0; i < BATCHES; i++) {
      Fault fault = picker.pick(trigger, token);
      if (fault != null) {
        shares.merge(fault.kind(), 1.0 / BATCHES, Double::sum);
      }
    }
    return shares;
  }

  private static Fault rule(FaultKind kind, double probability, Long trigger, String token) {
    return new Fault(kind, probability, 503, 1, 1_000, 0.5, trigger, token);
  }
}
