package dev.triggergate.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The certificates a client trusts, from a PEM, PKCS#12 or JKS file (chosen by its name). */
public final class TrustStore {
  private TrustStore() {}

  /**
   * Reads the file, so call it off the event loop.
   *
   * @param path the file, or null for the JVM's own trust
   * @param key the configuration key that named it, for the error
   * @return the trust options, or null for the JVM's own
   */
  public static TrustOptions read(String path, String password, String key) {
    if (path == null) {
      return null;
    }
    Buffer bytes;
    try {
      bytes = Buffer.buffer(Files.readAllBytes(Path.of(path)));
    } catch (IOException e) {
      throw new UncheckedIOException(key + ": cannot read it", e);
    }
    String file = path.toLowerCase(Locale.ROOT);
    if (file.endsWith(".p12") || file.endsWith(".pfx")) {
      return new PfxOptions().setValue(bytes).setPassword(password);
    }
    if (file.endsWith(".jks")) {
      return new JksOptions().setValue(bytes).setPassword(password);
    }
    return new PemTrustOptions().addCertValue(bytes);
  }
}
