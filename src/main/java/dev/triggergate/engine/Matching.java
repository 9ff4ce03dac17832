package dev.triggergate.engine;

/** The eleven ways Altcraft finds the profile for a {@code data} item (SPEC §4). */
public enum Matching {
  EMAIL,
  EMAIL_PROFILE,
  EMAIL_SUB,
  PHONE,
  PHONE_SUB,
  PROFILE_ID,
  PUSH_SUB,
  CUSTOM,
  CUSTOM_SUB,
  EMAIL_PHONE,
  EMAIL_PHONE_SUB;

  /** The wire name, as in {@code "matching": "email_sub"}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The mode a wire name names; {@code null} (absent) is Altcraft's default, {@code email}. */
  public static Matching fromWire(String name) {
    if (name == null) {
      return EMAIL;
    }
    for (Matching mode : values()) {
      if (mode.wireName().equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown matching mode " + name);
  }
}
