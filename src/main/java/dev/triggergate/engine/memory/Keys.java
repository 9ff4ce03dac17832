package dev.triggergate.engine.memory;

import java.math.BigDecimal;
import java.util.Locale;

/** How lookup keys compare (SPEC §7): email ignores case, phone ignores all but digits. */
final class Keys {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Keys() {}

  static String email(String email) {
    return email.toLowerCase(Locale.ROOT);
  }

  static String phone(String phone) {
    StringBuilder digits = new StringBuilder(phone.length());
    for (int i = 0; i < phone.length(); i++) {
      char c = phone.charAt(i);
      if (c >= '0' && c <= '9') {
        digits.append(c);
      }
    }
    return digits.toString();
  }

  /** Field values compare as text: {@code 4}, {@code 4.0} and {@code "4"} are one value. */
  static String fieldValue(Object value) {
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.stripTrailingZeros().toPlainString();
    }
    return value.toString();
  }

  static String pair(String a, String b) {
    return a + '\u0000' + b;
  }

  /**
   * A stable profile id for {@code auto_profiles}: 96 bits of two independent 64-bit hashes of the
   * key, as 24 hex characters. The same key gives the same id in every instance and every run.
   */
  static String autoId(String key) {
    long h1 = 0xcbf29ce484222325L;
    long h2 = 0x9e3779b97f4a7c15L;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      h1 = (h1 ^ c) * 0x100000001b3L;
      h2 = (h2 + c) * 0xc2b2ae3d27d4eb4fL;
      h2 ^= h2 >>> 29;
    }
    h1 = mix(h1 ^ key.length());
    h2 = mix(h2 ^ h1);
    char[] out = new char[24];
    for (int i = 0; i < 16; i++) {
      out[i] = HEX[(int) (h1 >>> (60 - 4 * i)) & 0xf];
    }
    for (int i = 0; i < 8; i++) {
      out[16 + i] = HEX[(int) (h2 >>> (60 - 4 * i)) & 0xf];
    }
    return new String(out);
  }

  /** MurmurHash3's 64-bit finaliser: every input bit reaches every output bit. */
  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
