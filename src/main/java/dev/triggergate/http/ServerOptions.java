package dev.triggergate.http;

import dev.triggergate.config.ConfigException;
import dev.triggergate.config.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/** The HTTP servers' options from the {@code server} section: listener, head caps, TLS, HTTP/2. */
public final class ServerOptions {
  /** The key algorithms a JDK server can present (JSSE's key type names). */
  private static final List<String> KEY_TYPES =
      List.of("RSA", "EC", "EdDSA", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");

  private ServerOptions() {}

  public static HttpServerOptions of(GatewayConfig.Server server) {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(server.host())
            .setPort(server.port())
            // The body is asked for only once the cheap refusals are behind us (BodyReader).
            .setHandle100ContinueAutomatically(false)
            .setIdleTimeout((int) server.idleTimeoutMs())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setMaxHeaderSize(server.maxHeaderBytes())
            .setMaxInitialLineLength(server.maxUriBytes())
            .setHttp2ClearTextEnabled(server.h2c())
            .setInitialSettings(
                new Http2Settings()
                    .setMaxConcurrentStreams(server.http2().maxConcurrentStreams())
                    .setMaxHeaderListSize(server.http2().maxHeaderListBytes()));
    GatewayConfig.Tls tls = server.tls();
    if (tls != null) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"));
      options.setKeyCertOptions(keyCert(tls));
    }
    return options;
  }

  /**
   * The admin API's own listener ({@code admin.port}): the main one's caps, timeouts and TLS, on
   * its own address, so the admin token never travels in the clear where batches do not.
   */
  public static HttpServerOptions admin(GatewayConfig.Server server, GatewayConfig.Admin admin) {
    // Port 0 alone would give each event loop's server a free port of its own; a negative one is
    // Vert.x's "one free port, shared by every server of this Vert.x that names it on this host"
    // (NetServerImpl.bind).
    int port = admin.port() == 0 ? -1 : admin.port();
    return of(server).setHost(admin.host()).setPort(port);
  }

  private static KeyCertOptions keyCert(GatewayConfig.Tls tls) {
    if (tls.pkcs12() != null) {
      return new PfxOptions().setPath(tls.pkcs12()).setPassword(tls.password());
    }
    return new PemKeyCertOptions().setCertPath(tls.certChain()).setKeyPath(tls.key());
  }

  /**
   * Reads the certificate and key through the loaders the server will use, so that material it
   * cannot use stops start-up naming its key. Without this a bad file fails the listen with a bare
   * parser message (a PKCS#12 file that is not one: {@code EOFException} and no text), and a key
   * that is not the certificate's starts a gateway whose every handshake fails. Blocking: reads
   * files.
   *
   * @throws ConfigException naming {@code server.tls.cert_chain}, {@code .key}, {@code .pkcs12} or
   *     {@code .password}
   */
  public static void checkTls(Vertx vertx, GatewayConfig.Tls tls) {
    if (tls == null) {
      return;
    }
    boolean pkcs12 = tls.pkcs12() != null;
    if (!pkcs12) {
      // The chain alone first: when it reads, a failure to read both is the key's.
      try {
        new PemTrustOptions().addCertPath(tls.certChain()).getTrustManagerFactory(vertx);
      } catch (Exception e) {
        throw invalid("cert_chain", "a PEM file of X.509 certificates, leaf first", e);
      }
    }
    KeyManager[] managers;
    try {
      managers = keyCert(tls).getKeyManagerFactory(vertx).getKeyManagers();
    } catch (Exception e) {
      if (!pkcs12) {
        throw invalid("key", "a PEM private key (PKCS#8, or PKCS#1 for RSA, or SEC 1 for EC)", e);
      }
      if (causedBy(e, UnrecoverableKeyException.class)) {
        throw invalid("password", "the password of server.tls.pkcs12", e);
      }
      throw invalid("pkcs12", "a PKCS#12 file with a private key and its certificate chain", e);
    }
    X509KeyManager keys = (X509KeyManager) managers[0];
    String material = pkcs12 ? "pkcs12" : "key";
    boolean any = false;
    for (String type : KEY_TYPES) {
      String[] aliases = keys.getServerAliases(type, null);
      for (String alias : aliases == null ? new String[0] : aliases) {
        X509Certificate[] chain = keys.getCertificateChain(alias);
        if (chain == null || chain.length == 0) {
          continue;
        }
        any = true;
        if (!belongTogether(keys.getPrivateKey(alias), chain[0].getPublicKey())) {
          throw new ConfigException(
              "server.tls."
                  + material
                  + ": the private key is not the one of the first (leaf) certificate"
                  + (pkcs12 ? "" : " in server.tls.cert_chain"));
        }
      }
    }
    if (!any) {
      throw new ConfigException(
          "server.tls." + material + ": holds no private key with a certificate chain");
    }
  }

  /** Whether the public key verifies what the private key signed; unknown kinds pass. */
  private static boolean belongTogether(PrivateKey privateKey, PublicKey publicKey) {
    String algorithm =
        switch (privateKey.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "DSA" -> "SHA256withDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
          default -> null;
        };
    if (algorithm == null) {
      return true;
    }
    try {
      byte[] probe = "trigger-gateway".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      // A public key of another kind than the private one.
      return false;
    }
  }

  private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static ConfigException invalid(String key, String expected, Exception cause) {
    String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return new ConfigException("server.tls." + key + ": " + expected + " (" + reason + ")", cause);
  }
}
