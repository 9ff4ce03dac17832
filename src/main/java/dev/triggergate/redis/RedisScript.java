package dev.triggergate.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script run by {@link RedisConnection#eval}: sent by its SHA-1 digest, and as text only
 * where Redis does not have it yet (first use, a restart, a failover to a replica).
 *
 * @param text the script
 * @param sha1 its digest, as {@code EVALSHA} names it
 */
public record RedisScript(String text, String sha1) {
  public static RedisScript of(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-1");
      return new RedisScript(
          text, HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-1", e);
    }
  }

  /** The script in a class path resource. */
  public static RedisScript resource(String path) {
    try (InputStream in = RedisScript.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(path + " is missing from the class path");
      }
      return of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
