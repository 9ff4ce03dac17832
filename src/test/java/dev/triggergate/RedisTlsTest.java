package dev.triggergate;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisStandaloneConnectOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.net.SocketException;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the Vert.x 5 Redis client talks to a Redis that requires TLS and a password, and ACL users:
 * which options it needs, how it logs in, and what a wrong password, an untrusted certificate or a
 * host name the certificate does not name fail with, and how fast.
 *
 * <p>How the client logs in is read off the server: {@code INFO commandstats} counts the HELLO and
 * AUTH commands it got, {@code ACL LOG} names each failed login's command and user.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisTlsTest {
  private static final long COMMAND_MS = 5_000;

  /**
   * A refusal arrives well within this, far below the client's own limits (a 10 s TLS handshake
   * timeout, a 60 s connect timeout): it is an answer, not a timeout.
   */
  private static final long FAST_MS = 2_000;

  private static final String PASSWORD = "default-s3cret";
  private static final String ALICE = "alice";
  private static final String ALICE_PASSWORD = "alice-s3cret";

  private static Vertx vertx;
  private static RedisTlsServer server;
  private static Redis adminClient;
  private static RedisConnection admin;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = RedisTlsServer.start(PASSWORD, ALICE + ":" + ALICE_PASSWORD);
    adminClient = Redis.createClient(vertx, tlsOptions(server.url()));
    // One connection of its own, so the counts below see no login of the admin's.
    admin = adminClient.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
  }

  @AfterAll
  static void stop() {
    if (adminClient != null) {
      adminClient.close().await();
    }
    vertx.close().await();
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void forgetEarlierLogins() {
    send(admin, Request.cmd(Command.CONFIG).arg("RESETSTAT"));
    send(admin, Request.cmd(Command.ACL).arg("LOG").arg("RESET"));
  }

  @Test
  void redissWithTrustAndHostnameVerificationPingsAndRunsAScript() {
    Redis client = Redis.createClient(vertx, tlsOptions(server.url()));
    try {
      assertThat(send(client, Request.cmd(Command.PING))).hasToString("PONG");
      Response script =
          send(
              client,
              Request.cmd(Command.EVAL)
                  .arg("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])")
                  .arg(1)
                  .arg("tls-key")
                  .arg("over tls"));
      assertThat(script).hasToString("over tls");
      assertThat(send(client, Request.cmd(Command.ACL).arg("WHOAMI"))).hasToString("default");
    } finally {
      client.close().await();
    }
  }

  @Test
  void noHostnameVerificationAlgorithmChosenRefusesEveryTlsConnectionAtOnce() {
    // The getter says "" while no TLS option is set; setting the trust creates TLS options whose
    // algorithm is null, and Vert.x 5 then refuses every TLS connection until one is chosen.
    NetClientOptions unchosen =
        new NetClientOptions()
            .setSsl(true)
            .setTrustOptions(new PemTrustOptions().addCertPath(server.certificatePath()));
    assertThat(new NetClientOptions().getHostnameVerificationAlgorithm()).isEmpty();
    assertThat(unchosen.getHostnameVerificationAlgorithm()).isNull();

    Failure refused =
        connectFailure(
            new RedisOptions().setConnectionString(server.url()).setNetClientOptions(unchosen));

    assertThat(refused.error)
        .isInstanceOf(VertxException.class)
        .hasMessage(
            "Missing hostname verification algorithm: you must set TCP client options host name"
                + " verification algorithm");
    assertThat(refused.millis).isLessThan(FAST_MS);
  }

  @Test
  void httpsVerifiesTheHostNameAndTheEmptyAlgorithmTakesAnyName() {
    // The certificate names localhost and has no subject alternative names at all.
    String byAddress = "rediss://default:" + PASSWORD + "@127.0.0.1:" + server.port();

    Failure https = connectFailure(tlsOptions(byAddress));
    assertThat(https.error)
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessage("Failed to create SSL connection")
        .hasRootCauseInstanceOf(CertificateException.class)
        .hasRootCauseMessage("No subject alternative names present");
    assertThat(https.millis).isLessThan(FAST_MS);

    RedisOptions unverified = tlsOptions(byAddress);
    unverified.getNetClientOptions().setHostnameVerificationAlgorithm("");
    Redis client = Redis.createClient(vertx, unverified);
    try {
      assertThat(send(client, Request.cmd(Command.PING))).hasToString("PONG");
    } finally {
      client.close().await();
    }
  }

  @Test
  void aCertificateForAnotherHostIsRefusedWithHttpsVerification() {
    try (RedisTlsServer other = RedisTlsServer.startFor("other.example", PASSWORD)) {
      RedisOptions options = tlsOptions(other.url());
      options
          .getNetClientOptions()
          .setTrustOptions(new PemTrustOptions().addCertPath(other.certificatePath()));

      Failure refused = connectFailure(options);

      assertThat(refused.error)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessage("Failed to create SSL connection")
          .hasRootCauseInstanceOf(CertificateException.class)
          .hasRootCauseMessage("No name matching localhost found");
      assertThat(refused.millis).isLessThan(FAST_MS);
    }
  }

  @Test
  void aWrongPasswordFailsTheConnectWithWrongpassAfterHelloThenAuth() {
    Failure refused = connectFailure(tlsOptions(server.url(ALICE, "not-" + ALICE_PASSWORD)));

    assertThat(refused.error)
        .isInstanceOf(ErrorType.class)
        .hasMessage("WRONGPASS invalid username-password pair or user is disabled.");
    assertThat(refused.millis).isLessThan(FAST_MS);
    // HELLO 3 AUTH alice <password> refused, the client tries AUTH alice <password> before giving
    // up (for servers that take no AUTH in HELLO): two refusals, newest first.
    List<String[]> log = aclLog();
    assertThat(log).extracting(entry -> entry[0]).containsExactly("auth", "hello");
    assertThat(log).extracting(entry -> entry[1]).containsOnly(ALICE);
    assertThat(commandStats())
        .containsEntry("hello", Map.of("calls", 1L, "failed_calls", 1L))
        .containsEntry("auth", Map.of("calls", 1L, "failed_calls", 1L));
  }

  @Test
  void aWrongPasswordOfTheDefaultUserFailsTheSameWay() {
    // ":password@" names no user: the client logs in as "default".
    Failure refused =
        connectFailure(tlsOptions("rediss://:not-" + PASSWORD + "@localhost:" + server.port()));

    assertThat(refused.error)
        .isInstanceOf(ErrorType.class)
        .hasMessage("WRONGPASS invalid username-password pair or user is disabled.");
    assertThat(aclLog()).extracting(entry -> entry[1]).containsOnly("default");
  }

  @Test
  void noPasswordConnectsButEveryCommandIsRefusedWithNoauth() {
    Redis client = Redis.createClient(vertx, tlsOptions(server.address()));
    try {
      // HELLO without AUTH is refused with NOAUTH; with no password to retry with, the client
      // counts the connection as made.
      RedisConnection connection =
          client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
      connection.close();

      Failure refused = sendFailure(client, Request.cmd(Command.PING));

      assertThat(refused.error)
          .isInstanceOf(ErrorType.class)
          .hasMessage("NOAUTH Authentication required.");
    } finally {
      client.close().await();
    }
  }

  @Test
  void anUntrustedCertificateFailsTheHandshake() {
    SelfSignedCertificate sameName = SelfSignedCertificate.create("localhost");
    SelfSignedCertificate otherName = SelfSignedCertificate.create("other.example");
    try {
      // Trusting another certificate of the same subject: found by name, its signature fails.
      Failure sameSubject = connectFailure(trusting(sameName.certificatePath()));
      assertThat(sameSubject.error)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessage("Failed to create SSL connection")
          .hasRootCauseInstanceOf(SignatureException.class)
          .hasRootCauseMessage("Signature does not match.");
      assertThat(sameSubject.error.getCause())
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessage(
              "PKIX path validation failed: java.security.cert.CertPathValidatorException:"
                  + " signature check failed");
      assertThat(sameSubject.millis).isLessThan(FAST_MS);

      // Trusting another subject, or nothing but the JDK's own CAs: no path to a trusted one.
      String noPath =
          "PKIX path building failed:"
              + " sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid"
              + " certification path to requested target";
      RedisOptions jdkTrust = tlsOptions(server.url());
      jdkTrust.getNetClientOptions().setTrustOptions(null);
      for (RedisOptions options : List.of(trusting(otherName.certificatePath()), jdkTrust)) {
        Failure untrusted = connectFailure(options);
        assertThat(untrusted.error)
            .isInstanceOf(SSLHandshakeException.class)
            .hasMessage("Failed to create SSL connection")
            .hasRootCauseMessage("unable to find valid certification path to requested target");
        assertThat(untrusted.error.getCause())
            .isInstanceOf(SSLHandshakeException.class)
            .hasMessage(noPath);
        assertThat(untrusted.millis).isLessThan(FAST_MS);
      }
    } finally {
      sameName.delete();
      otherName.delete();
    }
    // The server saw no login at all.
    assertThat(commandStats()).doesNotContainKeys("hello", "auth");
  }

  @Test
  void anAclUserInTheUrlLogsInWithOneHelloThreeAuthAndNoAuthCommand() {
    Redis client = Redis.createClient(vertx, tlsOptions(server.url(ALICE, ALICE_PASSWORD)));
    try {
      RedisConnection connection =
          client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
      try {
        assertThat(send(connection, Request.cmd(Command.ACL).arg("WHOAMI"))).hasToString(ALICE);
        // One HELLO (with AUTH alice <password> in it) and no AUTH command.
        assertThat(commandStats())
            .containsEntry("hello", Map.of("calls", 1L, "failed_calls", 0L))
            .doesNotContainKey("auth");
        // The protocol that HELLO chose: RESP3.
        Response hello = send(connection, Request.cmd(Command.HELLO));
        assertThat(hello.get("proto").toInteger()).isEqualTo(3);
      } finally {
        connection.close();
      }
    } finally {
      client.close().await();
    }
  }

  @Test
  void userAndPasswordOnRedisOptionsLogInWithoutCredentialsInTheUrl() {
    RedisOptions options = tlsOptions(server.address()).setUser(ALICE).setPassword(ALICE_PASSWORD);
    Redis client = Redis.createClient(vertx, options);
    try {
      assertThat(send(client, Request.cmd(Command.ACL).arg("WHOAMI"))).hasToString(ALICE);
      assertThat(commandStats()).containsEntry("hello", Map.of("calls", 1L, "failed_calls", 0L));
    } finally {
      client.close().await();
    }
  }

  @Test
  void thePasswordInTheUrlWinsOverSetPassword() {
    RedisOptions options =
        tlsOptions(server.url(ALICE, "not-" + ALICE_PASSWORD)).setPassword(ALICE_PASSWORD);

    Failure refused = connectFailure(options);

    assertThat(refused.error)
        .isInstanceOf(ErrorType.class)
        .hasMessage("WRONGPASS invalid username-password pair or user is disabled.");
  }

  @Test
  void aConnectOptionsSupplierGivesEachNewConnectionTheCurrentPassword() {
    // Where a secret store would be read: asked for every new connection, not once per client.
    AtomicReference<String> current = new AtomicReference<>(ALICE_PASSWORD);
    RedisOptions options = tlsOptions(server.address());
    Redis client =
        Redis.createStandaloneClient(
            vertx,
            options,
            () ->
                Future.succeededFuture(
                    new RedisStandaloneConnectOptions(options)
                        .setUser(ALICE)
                        .setPassword(current.get())));
    String rotated = "rotated-" + ALICE_PASSWORD;
    try {
      RedisConnection first = client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
      try {
        // The password changes on the server; the connection made before stays logged in.
        send(
            admin,
            Request.cmd(Command.ACL).arg("SETUSER").arg(ALICE).arg("resetpass").arg(">" + rotated));
        current.set(rotated);
        RedisConnection second =
            client.connect().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
        try {
          assertThat(send(second, Request.cmd(Command.ACL).arg("WHOAMI"))).hasToString(ALICE);
          assertThat(send(first, Request.cmd(Command.ACL).arg("WHOAMI"))).hasToString(ALICE);
        } finally {
          second.close();
        }
      } finally {
        first.close();
      }
      assertThat(commandStats()).containsEntry("hello", Map.of("calls", 2L, "failed_calls", 0L));
    } finally {
      client.close().await();
      send(
          admin,
          Request.cmd(Command.ACL)
              .arg("SETUSER")
              .arg(ALICE)
              .arg("resetpass")
              .arg(">" + ALICE_PASSWORD));
    }
  }

  @Test
  void redissUpgradesToTlsItselfSoSetSslIsOptionalButSslRefusesRedisUrls() {
    // With ssl false the client connects in plain TCP and upgrades, using the same TLS options.
    RedisOptions upgrading = tlsOptions(server.url());
    upgrading.getNetClientOptions().setSsl(false);
    Redis client = Redis.createClient(vertx, upgrading);
    try {
      assertThat(send(client, Request.cmd(Command.PING))).hasToString("PONG");
    } finally {
      client.close().await();
    }

    String plainUrl = "redis://default:" + PASSWORD + "@localhost:" + server.port();
    Failure mixed = connectFailure(tlsOptions(plainUrl));
    assertThat(mixed.error)
        .hasMessage("Pool initialized with SSL but connection requested plain socket");

    // Plain RESP to the TLS port: the server drops the connection on the first bytes. (The client
    // also logs the reset as an unhandled error, and with assertions on its end() asserts it was
    // not closed before: it is ended twice.)
    Failure plain = connectFailure(new RedisOptions().setConnectionString(plainUrl));
    assertThat(plain.error).isInstanceOf(SocketException.class).hasMessage("Connection reset");
    assertThat(plain.millis).isLessThan(FAST_MS);
  }

  @Test
  void sniIsTheHostOfTheUrlOnlyWhenItIsADottedName() {
    // A TLS server that records the name each client indicates, reached through a hosts file of
    // the client's own so that a dotted name leads to the loopback address.
    SelfSignedCertificate certificate = SelfSignedCertificate.create("redis.test.example");
    Vertx resolving =
        Vertx.vertx(
            new VertxOptions()
                .setAddressResolverOptions(
                    new AddressResolverOptions()
                        .setHostsValue(
                            Buffer.buffer("127.0.0.1 redis.test.example\n127.0.0.1 localhost\n"))));
    BlockingQueue<String> indicated = new ArrayBlockingQueue<>(10);
    try {
      NetServer recorder =
          resolving
              .createNetServer(
                  new NetServerOptions()
                      .setSsl(true)
                      .setSni(true)
                      .setKeyCertOptions(certificate.keyCertOptions())
                      .setHost("127.0.0.1")
                      .setPort(0))
              .connectHandler(
                  socket -> {
                    indicated.add(Objects.toString(socket.indicatedServerName(), "(none)"));
                    socket.close();
                  });
      recorder.listen().timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();

      Map<String, String> seen = new HashMap<>();
      for (String host : List.of("redis.test.example", "localhost", "127.0.0.1")) {
        RedisOptions options =
            new RedisOptions()
                .setConnectionString("rediss://:p@" + host + ":" + recorder.actualPort())
                .setNetClientOptions(
                    new NetClientOptions()
                        .setSsl(true)
                        .setTrustOptions(certificate.trustOptions())
                        .setHostnameVerificationAlgorithm(""));
        Redis client = Redis.createClient(resolving, options);
        try {
          // The recorder closes at once: the connect fails, after the handshake.
          client.connect().transform(done -> Future.succeededFuture()).await();
        } finally {
          client.close().await();
        }
        seen.put(host, poll(indicated));
      }

      assertThat(seen)
          .containsEntry("redis.test.example", "redis.test.example")
          .containsEntry("localhost", "(none)")
          .containsEntry("127.0.0.1", "(none)");
    } finally {
      resolving.close().await();
      certificate.delete();
    }
  }

  /**
   * What the gateway would set: {@code rediss://} and TLS options that trust the server's
   * certificate and check that it names the host of the URL.
   */
  private static RedisOptions tlsOptions(String url) {
    return new RedisOptions()
        .setConnectionString(url)
        .setNetClientOptions(
            new NetClientOptions()
                .setSsl(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(server.certificatePath()))
                .setHostnameVerificationAlgorithm("HTTPS"));
  }

  private static RedisOptions trusting(String certificatePath) {
    RedisOptions options = tlsOptions(server.url());
    options
        .getNetClientOptions()
        .setTrustOptions(new PemTrustOptions().addCertPath(certificatePath));
    return options;
  }

  /** How a connect failed and how long it took to. */
  private record Failure(Throwable error, long millis) {}

  private static Failure connectFailure(RedisOptions options) {
    Redis client = Redis.createClient(vertx, options);
    try {
      return failure(client.connect());
    } finally {
      client.close().await();
    }
  }

  private static Failure sendFailure(Redis client, Request request) {
    return failure(client.send(request));
  }

  private static Failure failure(Future<?> attempt) {
    long started = System.nanoTime();
    Throwable error =
        attempt
            .timeout(COMMAND_MS, TimeUnit.MILLISECONDS)
            .<Throwable>transform(
                done -> {
                  if (done.succeeded() && done.result() instanceof RedisConnection connection) {
                    connection.close();
                  }
                  return Future.succeededFuture(done.cause());
                })
            .await();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(error).as("the attempt should have failed").isNotNull();
    return new Failure(error, millis);
  }

  /** {@code ACL LOG}, newest first: each entry's command and user, the command lower-cased. */
  private static List<String[]> aclLog() {
    List<String[]> entries = new ArrayList<>();
    for (Response entry : send(admin, Request.cmd(Command.ACL).arg("LOG"))) {
      assertThat(entry.get("reason")).hasToString("auth");
      entries.add(
          new String[] {
            entry.get("object").toString().toLowerCase(java.util.Locale.ROOT),
            entry.get("username").toString()
          });
    }
    return entries;
  }

  /** {@code INFO commandstats}: calls and failed calls per command, since the last reset. */
  private static Map<String, Map<String, Long>> commandStats() {
    Map<String, Map<String, Long>> stats = new HashMap<>();
    String info = send(admin, Request.cmd(Command.INFO).arg("commandstats")).toString();
    for (String line : info.split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String command = line.substring("cmdstat_".length(), line.indexOf(':'));
      Map<String, Long> counts = new HashMap<>();
      for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
        String[] pair = field.split("=");
        if (pair[0].equals("calls") || pair[0].equals("failed_calls")) {
          counts.put(pair[0], Long.parseLong(pair[1]));
        }
      }
      stats.put(command, counts);
    }
    return stats;
  }

  private static String poll(BlockingQueue<String> queue) {
    try {
      String value = queue.poll(COMMAND_MS, TimeUnit.MILLISECONDS);
      assertThat(value).as("the recorder saw no connection").isNotNull();
      return value;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Response send(Redis client, Request request) {
    return client.send(request).timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
  }

  private static Response send(RedisConnection connection, Request request) {
    return connection.send(request).timeout(COMMAND_MS, TimeUnit.MILLISECONDS).await();
  }
}
