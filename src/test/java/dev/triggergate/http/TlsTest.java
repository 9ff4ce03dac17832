package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.TestGateway;
import dev.triggergate.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** TLS termination and HTTP/2 at the edge (SPEC §6a), against real gateways with real clients. */
class TlsTest {
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"},"
          + "{\"email\":\"b@example.com\"},{\"email\":\"c@example.com\"}]}";
  private static final int BATCH_ITEMS = 3;

  private static final int STREAMS = 7;
  private static final int HEADER_LIST_BYTES = 4096;
  private static final int BODY_MAX = 1000;
  private static final int FILES_MAX = 2000;
  private static final int IN_FLIGHT_MAX = 4000;
  private static final String LIMITS =
      "limits: {body_max_bytes: %d, body_with_files_max_bytes: %d, max_in_flight_bytes: %d}\n"
          .formatted(BODY_MAX, FILES_MAX, IN_FLIGHT_MAX);

  private static final JsonObject TOO_LARGE =
      new JsonObject()
          .put("error", 400)
          .put("error_text", "Invalid request")
          .put("error_debug", "http: request body too large");

  /** The preface a prior-knowledge HTTP/2 client opens with (RFC 9113 §3.4). */
  private static final String PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  private static SelfSignedCertificate certificate;
  private static TestGateway gateway;

  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    certificate = SelfSignedCertificate.create("localhost");
    gateway =
        TestGateway.start(
            // Streams below hold their bodies until told: no minimum body rate may cut them.
            ("body_min_bytes_per_second: 0, tls: {cert_chain: '%s', key: '%s'},"
                    + " http2: {max_concurrent_streams: %d, max_header_list_bytes: %d}")
                .formatted(
                    certificate.certificatePath(),
                    certificate.privateKeyPath(),
                    STREAMS,
                    HEADER_LIST_BYTES),
            LIMITS);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    certificate.delete();
  }

  @Test
  void http11OverTlsLaunchesTheBatch() {
    assertLaunchesOverTls(gateway, HttpVersion.HTTP_1_1);
  }

  @Test
  void http2IsNegotiatedThroughAlpnAndLaunchesTheBatch() {
    assertLaunchesOverTls(gateway, HttpVersion.HTTP_2);
  }

  @Test
  void pkcs12KeyStoreServesLikePem() throws Exception {
    Path keyStore = pkcs12(dir.resolve("gateway.p12"), "s3cret".toCharArray());
    try (TestGateway p12 =
        TestGateway.start("tls: {pkcs12: '%s', password: s3cret}".formatted(keyStore), "")) {
      assertLaunchesOverTls(p12, HttpVersion.HTTP_1_1);
    }
  }

  @Test
  void http2SettingsCarryTheConfiguredLimits() {
    HttpClientAgent agent = http2Client();
    try {
      HttpClientConnection connection = connect(agent);
      Http2Settings settings = connection.remoteSettings();

      assertThat(settings.getMaxConcurrentStreams()).isEqualTo(STREAMS);
      assertThat(settings.getMaxHeaderListSize()).isEqualTo(HEADER_LIST_BYTES);
    } finally {
      agent.close().await();
    }
  }

  @Test
  void bodyCapsHoldOnHttp2StreamsAndLeaveTheConnectionUsable() {
    HttpClientAgent agent = http2Client();
    try {
      HttpClientConnection connection = connect(agent);
      long before = gateway.journal().total();

      // Declared over the streaming cap: refused before a body byte is read.
      Answer declared = exchange(connection, HttpMethod.POST, batchOfSize(FILES_MAX + 1), true);
      // No length declared (HTTP/2 needs none): refused once the counted bytes pass the cap.
      Answer streamed = exchange(connection, HttpMethod.POST, batchOfSize(FILES_MAX + 1), false);
      // Under the streaming cap but over the one for a body without files.
      Answer plain = exchange(connection, HttpMethod.POST, batchOfSize(BODY_MAX + 1), true);

      for (Answer answer : new Answer[] {declared, streamed, plain}) {
        assertThat(answer.version).isEqualTo(HttpVersion.HTTP_2);
        assertThat(answer.status).isEqualTo(400);
        assertThat(answer.json()).isEqualTo(TOO_LARGE);
      }
      assertThat(gateway.journal().total()).isEqualTo(before);
      // A refusal ends its stream only: the same connection still launches.
      Answer next = exchange(connection, HttpMethod.POST, Buffer.buffer(BATCH), true);
      assertSuccess(next.status, next.json());
      assertThat(gateway.journal().total() - before).isEqualTo(BATCH_ITEMS);
    } finally {
      agent.close().await();
    }
  }

  @Test
  void inFlightByteBudgetCountsEveryHttp2Stream() {
    HttpClientAgent agent = http2Client();
    try {
      HttpClientConnection connection = connect(agent);
      long before = gateway.journal().total();
      int held = FILES_MAX - 1;
      // Two streams declare their length and send no body yet: the budget holds 2 × 1999 of
      // 4000 bytes. Frames of one connection are handled in order on one event loop, so both
      // reservations are made before the third stream's headers are read.
      HttpClientRequest first = openStream(connection, held);
      HttpClientRequest second = openStream(connection, held);

      Answer refused = exchange(connection, HttpMethod.POST, Buffer.buffer(BATCH), true);

      assertThat(refused.status).isEqualTo(503);
      assertThat(refused.headers.get("Retry-After")).isEqualTo("1");
      assertThat(refused.json().getInteger("error")).isEqualTo(503);
      assertThat(refused.json().getString("error_debug"))
          .startsWith("overloaded: request bodies in flight hold " + 2 * held + " of 4000 bytes");
      Answer firstAnswer = finish(first, batchWithFileOfSize(held));
      Answer secondAnswer = finish(second, batchWithFileOfSize(held));
      assertSuccess(firstAnswer.status, firstAnswer.json());
      assertSuccess(secondAnswer.status, secondAnswer.json());
      // The held bytes came back when those streams ended.
      Answer again = exchange(connection, HttpMethod.POST, Buffer.buffer(BATCH), true);
      assertSuccess(again.status, again.json());
      assertThat(gateway.journal().total() - before).isEqualTo(1 + 1 + BATCH_ITEMS);
    } finally {
      agent.close().await();
    }
  }

  @Test
  void unknownPathAndWrongMethodGetTheEnvelopeOverHttp2() {
    HttpClientAgent agent = http2Client();
    try {
      HttpClientConnection connection = connect(agent);

      Answer missing = exchange(connection, HttpMethod.GET, "/api/v1.1/nope", null, false);
      Answer get = exchange(connection, HttpMethod.GET, TestGateway.PATH, null, false);

      assertThat(missing.version).isEqualTo(HttpVersion.HTTP_2);
      assertThat(missing.status).isEqualTo(404);
      assertThat(missing.headers.get(HttpHeaders.CONTENT_TYPE)).startsWith("application/json");
      assertThat(missing.json().getInteger("error")).isEqualTo(404);
      assertThat(missing.json().getString("error_debug")).isEqualTo("no such path: /api/v1.1/nope");
      assertThat(get.status).isEqualTo(405);
      assertThat(get.headers.get(HttpHeaders.ALLOW)).isEqualTo("POST");
      assertThat(get.headers.get(HttpHeaders.CONTENT_TYPE)).startsWith("application/json");
      assertThat(get.json().getInteger("error")).isEqualTo(405);
      assertThat(get.json().getString("error_debug"))
          .isEqualTo("GET is not allowed here; use POST");
    } finally {
      agent.close().await();
    }
  }

  /**
   * The JDK bans TLS 1.0/1.1 by itself (jdk.tls.disabledAlgorithms), and a client that bans them
   * fails before the server is asked. The test JVM lifts that ban (legacy-tls.security, loaded by
   * the pom's surefire argLine), so a refused handshake here is the gateway's refusal: the server
   * answers the client's hello with a protocol_version alert.
   */
  @ParameterizedTest
  @ValueSource(strings = {"TLSv1", "TLSv1.1"})
  void tlsBelow12IsRefusedByTheGateway(String protocol) throws Exception {
    SSLContext context = trustAll();
    assertThat(context.getDefaultSSLParameters().getProtocols())
        .as("this JVM's JDK would offer %s (see legacy-tls.security)", protocol)
        .contains(protocol);

    try (SSLSocket socket = socket(context, protocol)) {
      assertThatThrownBy(socket::startHandshake)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("Received fatal alert: protocol_version");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  void tls12And13AreNegotiated(String protocol) throws Exception {
    try (SSLSocket socket = socket(trustAll(), protocol)) {
      socket.startHandshake();

      assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
      assertThat(socket.getSession().getPeerCertificates()[0])
          .isEqualTo(certificateOf(Path.of(certificate.certificatePath())));
    }
  }

  @Test
  void cleartextHttp2IsOffByDefault() {
    try (TestGateway plain = TestGateway.start("")) {
      long before = plain.journal().total();

      Buffer preface = RawAnswer.of(plain, Buffer.buffer(PREFACE)).await();
      Buffer upgrade = RawAnswer.of(plain, upgradeRequest()).await();

      assertThat(isSettingsFrame(preface)).as("answer: %s", preface).isFalse();
      // Vert.x itself refuses the preface's "HTTP/2.0" request line (501, then it closes), before
      // the pipeline sees a request; any HTTP/1-style refusal would do here.
      assertThat(preface.toString()).matches("(?s)HTTP/\\d\\.\\d [45]\\d\\d .*");
      assertThat(upgrade.toString()).startsWith("HTTP/1.1 200 OK\r\n");
      assertSuccess(200, new JsonObject(body(upgrade)));
      assertThat(plain.journal().total() - before).isEqualTo(BATCH_ITEMS);
    }
  }

  @Test
  void cleartextHttp2WhenEnabledServesPriorKnowledgeClients() {
    try (TestGateway h2c = TestGateway.start("h2c: true", "")) {
      HttpClientAgent agent =
          h2c.vertx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      try {
        long before = h2c.journal().total();
        HttpClientConnection connection =
            agent
                .connect(new HttpConnectOptions().setHost("127.0.0.1").setPort(h2c.port()))
                .await();

        Answer answer = exchange(connection, HttpMethod.POST, Buffer.buffer(BATCH), true);

        assertThat(answer.version).isEqualTo(HttpVersion.HTTP_2);
        assertSuccess(answer.status, answer.json());
        assertThat(h2c.journal().total() - before).isEqualTo(BATCH_ITEMS);
      } finally {
        agent.close().await();
      }
      // The raw probes of the test above must see HTTP/2 here, or they prove nothing there. Last,
      // because the upgraded request launches too, after the 101 the probe stops reading at.
      Buffer preface = RawAnswer.of(h2c, Buffer.buffer(PREFACE)).await();
      Buffer upgrade = RawAnswer.of(h2c, upgradeRequest()).await();
      assertThat(isSettingsFrame(preface)).as("answer: %s", preface).isTrue();
      assertThat(upgrade.toString()).startsWith("HTTP/1.1 101 Switching Protocols\r\n");
    }
  }

  static Stream<Arguments> unusableMaterial() throws Exception {
    SelfSignedCertificate other = SelfSignedCertificate.create("localhost");
    Path otherKey = Files.copy(Path.of(other.privateKeyPath()), dir.resolve("other.key"));
    other.delete();
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not PEM\n");
    String chain = certificate.certificatePath();
    String key = certificate.privateKeyPath();
    Path store = pkcs12(dir.resolve("right.p12"), "right".toCharArray());
    Path certificateOnly = dir.resolve("certificate-only.p12");
    KeyStore noKey = KeyStore.getInstance("PKCS12");
    noKey.load(null, null);
    noKey.setCertificateEntry("ca", certificateOf(Path.of(chain)));
    try (OutputStream out = Files.newOutputStream(certificateOnly)) {
      noKey.store(out, "right".toCharArray());
    }
    return Stream.of(
        Arguments.of(
            pem(junk, key), "server.tls.cert_chain: a PEM file of X.509 certificates, leaf first"),
        Arguments.of(pem(chain, junk), "server.tls.key: a PEM private key"),
        Arguments.of(pem(chain, chain), "server.tls.key: a PEM private key"),
        Arguments.of(
            pem(chain, otherKey),
            "server.tls.key: the private key is not the one of the first (leaf) certificate"),
        Arguments.of(
            "tls: {pkcs12: '%s', password: right}".formatted(junk),
            "server.tls.pkcs12: a PKCS#12 file"),
        Arguments.of(
            "tls: {pkcs12: '%s', password: wrong}".formatted(store),
            "server.tls.password: the password of server.tls.pkcs12"),
        Arguments.of(
            "tls: {pkcs12: '%s', password: right}".formatted(certificateOnly),
            "server.tls.pkcs12: holds no private key"));
  }

  private static String pem(Object chain, Object key) {
    return "tls: {cert_chain: '%s', key: '%s'}".formatted(chain, key);
  }

  @ParameterizedTest
  @MethodSource("unusableMaterial")
  void unusableCertificateOrKeyStopsStartUpNamingTheKey(String server, String message) {
    assertThatThrownBy(() -> TestGateway.start(server, "").close())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }

  // --- over TLS with Vert.x clients

  private static void assertLaunchesOverTls(TestGateway target, HttpVersion version) {
    WebClientOptions options = trusting(new WebClientOptions()).setProtocolVersion(version);
    WebClient client = WebClient.create(target.vertx, options);
    try {
      long before = target.journal().total();

      HttpResponse<Buffer> response =
          client
              .post(target.port(), "localhost", TestGateway.PATH)
              .putHeader("Content-Type", "application/json")
              .sendBuffer(Buffer.buffer(BATCH))
              .await();

      assertThat(response.version()).isEqualTo(version);
      assertSuccess(response.statusCode(), response.bodyAsJsonObject());
      assertThat(target.journal().total() - before).isEqualTo(BATCH_ITEMS);
    } finally {
      client.close();
    }
  }

  /**
   * Trusts only the test's certificate, with the host name checked: a handshake that succeeds saw
   * the configured certificate.
   */
  private static <T extends HttpClientOptions> T trusting(T options) {
    options
        .setSsl(true)
        .setUseAlpn(true)
        .setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(certificate.certificatePath()));
    return options;
  }

  private static HttpClientAgent http2Client() {
    return gateway.vertx.createHttpClient(
        trusting(new HttpClientOptions()).setProtocolVersion(HttpVersion.HTTP_2));
  }

  private static HttpClientConnection connect(HttpClientAgent agent) {
    HttpClientConnection connection =
        agent
            .connect(new HttpConnectOptions().setHost("localhost").setPort(gateway.port()))
            .await();
    assertThat(connection.isSsl()).isTrue();
    // Only an HTTP/2 connection has more than one stream: ALPN chose h2.
    assertThat(connection.maxActiveStreams()).isEqualTo(STREAMS);
    return connection;
  }

  /** One exchange's outcome, read whole on the event loop so no byte is missed. */
  private record Answer(HttpVersion version, int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private static Answer exchange(
      HttpClient client, HttpMethod method, Buffer body, boolean declareLength) {
    return exchange(client, method, TestGateway.PATH, body, declareLength);
  }

  private static Answer exchange(
      HttpClient client, HttpMethod method, String uri, Buffer body, boolean declareLength) {
    return client
        .request(method, uri)
        .compose(
            request -> {
              if (body == null) {
                return answer(request, request.send());
              }
              request.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
              if (declareLength) {
                return answer(request, request.send(body));
              }
              request.setChunked(true);
              int half = body.length() / 2;
              request.write(body.slice(0, half));
              request.end(body.slice(half, body.length()));
              return answer(request, request.response());
            })
        .await();
  }

  /** A stream whose head, with its length, is sent now and whose body comes later. */
  private static HttpClientRequest openStream(HttpClient client, int length) {
    return client
        .request(HttpMethod.POST, TestGateway.PATH)
        .compose(
            request -> {
              request
                  .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                  .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(length));
              return request.sendHead().map(request);
            })
        .await();
  }

  /**
   * Sends the rest of a stream opened by {@link #openStream} and reads its answer. The answer is
   * read from the moment its head arrives: the gateway can answer before {@code end}'s future
   * completes, and a body read only then was handed to no one, so {@code body()} never completes.
   */
  private static Answer finish(HttpClientRequest request, Buffer body) {
    Future<Answer> answer = answer(request, request.response());
    return request.end(body).compose(v -> answer).await();
  }

  private static Future<Answer> answer(
      HttpClientRequest request, Future<io.vertx.core.http.HttpClientResponse> response) {
    return response.compose(
        r ->
            r.body()
                .map(
                    bytes -> {
                      assertThat(request.version()).isEqualTo(r.version());
                      return new Answer(r.version(), r.statusCode(), r.headers(), bytes);
                    }));
  }

  private static void assertSuccess(int status, JsonObject envelope) {
    assertThat(status).as("envelope: %s", envelope).isEqualTo(200);
    assertThat(envelope.getInteger("error")).isZero();
    assertThat(envelope.getString("error_text")).isEqualTo("Successful operation");
    assertThat(envelope.getJsonArray("result")).isNotEmpty();
  }

  /** A valid batch without files padded with trailing spaces to exactly {@code size} bytes. */
  private static Buffer batchOfSize(int size) {
    return padded(BATCH, size);
  }

  /** A valid one-item batch with a small file, padded to exactly {@code size} bytes. */
  private static Buffer batchWithFileOfSize(int size) {
    return padded(
        "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"f@example.com\"}],"
            + "\"attach\":[{\"name\":\"a.txt\",\"data\":\"data:text/plain;base64,QUFB\"}]}",
        size);
  }

  private static Buffer padded(String json, int size) {
    char[] padding = new char[size - json.length()];
    Arrays.fill(padding, ' ');
    return Buffer.buffer(json + new String(padding));
  }

  // --- over TLS with the JDK's sockets

  private static SSLContext trustAll() throws Exception {
    X509TrustManager anyone =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {anyone}, null);
    return context;
  }

  private static SSLSocket socket(SSLContext context, String protocol) throws Exception {
    SSLSocket socket =
        (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", gateway.port());
    // A server that never answers fails the test instead of hanging it.
    socket.setSoTimeout(10_000);
    socket.setEnabledProtocols(new String[] {protocol});
    return socket;
  }

  /** A PKCS#12 key store with the test certificate and its key. */
  private static Path pkcs12(Path file, char[] password) throws Exception {
    X509Certificate cert = certificateOf(Path.of(certificate.certificatePath()));
    String pem = Files.readString(Path.of(certificate.privateKeyPath()));
    byte[] der =
        Base64.getMimeDecoder()
            .decode(pem.replaceAll("-----(BEGIN|END) [A-Z ]*PRIVATE KEY-----", ""));
    PrivateKey key =
        KeyFactory.getInstance(cert.getPublicKey().getAlgorithm())
            .generatePrivate(new PKCS8EncodedKeySpec(der));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("gateway", key, password, new Certificate[] {cert});
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password);
    }
    return file;
  }

  private static X509Certificate certificateOf(Path pem) throws Exception {
    try (var in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  // --- cleartext, byte by byte

  /** A POST that asks to switch to cleartext HTTP/2 (RFC 7540 §3.2). */
  private static Buffer upgradeRequest() {
    return Buffer.buffer(
        "POST "
            + TestGateway.PATH
            + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            // SETTINGS_MAX_CONCURRENT_STREAMS = 100 as a SETTINGS payload, base64url-encoded.
            + "HTTP2-Settings: AAMAAABk\r\n"
            + "Content-Length: "
            + BATCH.getBytes(StandardCharsets.UTF_8).length
            + "\r\n\r\n"
            + BATCH);
  }

  /** Whether the bytes open with an HTTP/2 SETTINGS frame (RFC 9113 §4.1, §6.5): type 0x4. */
  private static boolean isSettingsFrame(Buffer bytes) {
    return bytes.length() >= 9 && bytes.getByte(3) == 0x4 && bytes.getByte(4) == 0;
  }

  private static String body(Buffer answer) {
    String text = answer.toString();
    return text.substring(text.indexOf("\r\n\r\n") + 4);
  }

  /**
   * The first thing a server sends on a raw connection: a whole HTTP/1.1 answer, a frame header, or
   * what came before it closed.
   */
  private static final class RawAnswer {
    private final Buffer bytes = Buffer.buffer();
    private final Promise<Buffer> done = Promise.promise();

    static Future<Buffer> of(TestGateway target, Buffer request) {
      Vertx vertx = target.vertx;
      return vertx
          .createNetClient()
          .connect(target.port(), "127.0.0.1")
          .compose(
              socket -> {
                RawAnswer answer = new RawAnswer();
                socket.handler(answer::received);
                socket.closeHandler(v -> answer.done.tryComplete(answer.bytes));
                socket.write(request);
                return answer.done.future().eventually(socket::close);
              });
    }

    private void received(Buffer chunk) {
      bytes.appendBuffer(chunk);
      String text = bytes.toString(StandardCharsets.ISO_8859_1);
      if (!text.startsWith("HTTP/")) {
        if (bytes.length() >= 9) {
          done.tryComplete(bytes);
        }
        return;
      }
      int head = text.indexOf("\r\n\r\n");
      if (head < 0) {
        return;
      }
      if (text.startsWith("HTTP/1.1 101 ")) {
        done.tryComplete(bytes);
        return;
      }
      int length = contentLength(text.substring(0, head));
      if (bytes.length() >= head + 4 + length) {
        done.tryComplete(bytes.slice(0, head + 4 + length));
      }
    }

    private static int contentLength(String head) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
          return Integer.parseInt(line.substring(colon + 1).trim());
        }
      }
      return 0;
    }
  }
}
