package dev.triggergate;

import io.vertx.core.net.SelfSignedCertificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis for tests that speaks TLS only and requires a password, with ACL users if asked: a
 * {@code redis-server} (see {@link RedisProcess} for which binary) on a free loopback TLS port, its
 * plain port closed, serving a self-signed certificate made here.
 *
 * <p>Clients need not present a certificate ({@code --tls-auth-clients no}); they trust {@link
 * #certificatePath()} to verify the server.
 */
public final class RedisTlsServer implements AutoCloseable {
  private final SelfSignedCertificate certificate;
  private final String password;
  private final RedisProcess process;

  private RedisTlsServer(SelfSignedCertificate certificate, String password, RedisProcess process) {
    this.certificate = certificate;
    this.password = password;
    this.process = process;
  }

  /**
   * Starts one whose {@code default} user has this password, with a certificate for {@code
   * localhost}.
   *
   * @param users more ACL users, each {@code name:password}, allowed every command, key and channel
   */
  public static RedisTlsServer start(String password, String... users) {
    return startFor("localhost", password, users);
  }

  /** As {@link #start}, with a certificate for this host name instead. */
  public static RedisTlsServer startFor(String host, String password, String... users) {
    SelfSignedCertificate certificate = SelfSignedCertificate.create(host);
    int port = RedisProcess.freePort();
    List<String> options = new ArrayList<>();
    // The later --port 0 overrides the one RedisProcess gives: no plain port at all.
    options.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port)));
    options.addAll(List.of("--tls-cert-file", certificate.certificatePath()));
    options.addAll(List.of("--tls-key-file", certificate.privateKeyPath()));
    // Required even when clients present no certificate; the self-signed one is its own CA.
    options.addAll(List.of("--tls-ca-cert-file", certificate.certificatePath()));
    options.addAll(List.of("--tls-auth-clients", "no"));
    options.addAll(List.of("--requirepass", password));
    for (String user : users) {
      int colon = user.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("a user is name:password, not " + user);
      }
      options.addAll(
          List.of(
              "--user",
              user.substring(0, colon),
              "on",
              ">" + user.substring(colon + 1),
              "~*",
              "&*",
              "+@all"));
    }
    try {
      return new RedisTlsServer(certificate, password, RedisProcess.start(port, options));
    } catch (RuntimeException e) {
      certificate.delete();
      throw e;
    }
  }

  public int port() {
    return process.port();
  }

  /** The PEM certificate the server presents, for a client to trust. */
  public String certificatePath() {
    return certificate.certificatePath();
  }

  /** {@code rediss://default:password@localhost:port}: the default user with its password. */
  public String url() {
    return url("default", password);
  }

  /** {@code rediss://user:password@localhost:port}. */
  public String url(String user, String password) {
    return "rediss://" + user + ":" + password + "@localhost:" + port();
  }

  /** {@code rediss://localhost:port}, no credentials in it. */
  public String address() {
    return "rediss://localhost:" + port();
  }

  @Override
  public void close() {
    process.close();
    certificate.delete();
  }
}
