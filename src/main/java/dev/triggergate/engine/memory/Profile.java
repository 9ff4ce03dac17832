package dev.triggergate.engine.memory;

import java.util.List;
import java.util.Map;

/**
 * One profile the memory engine holds (SPEC §7, profile file).
 *
 * @param id 24 lowercase hex characters
 * @param email the profile's email, or null
 * @param phone the profile's phone, or null
 * @param fields custom fields, values as text (so {@code 4} matches {@code "4"})
 * @param subscriptions the profile's subscriptions
 */
public record Profile(
    String id,
    String email,
    String phone,
    Map<String, String> fields,
    List<Subscription> subscriptions) {

  /**
   * A subscription on one channel; only the fields of its channel are set.
   *
   * @param channel email, sms, push or custom
   */
  public record Subscription(
      Channel channel,
      String email,
      String phone,
      String provider,
      String subscriptionId,
      Map<String, String> fields) {}

  /** The subscription channels. */
  public enum Channel {
    EMAIL,
    SMS,
    PUSH,
    CUSTOM
  }
}
