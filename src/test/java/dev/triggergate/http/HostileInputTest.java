package dev.triggergate.http;

import static dev.triggergate.http.EdgeAnswers.BATCH;
import static dev.triggergate.http.EdgeAnswers.assertEnvelope;
import static dev.triggergate.http.EdgeAnswers.assertServesNormalBatch;
import static dev.triggergate.http.EdgeAnswers.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Hostile and malformed requests on raw sockets (SPEC §2, §5, §6, §6a): each gets a 4xx Altcraft
 * envelope or a closed connection within a bound, never a 5xx, a bare or HTML body or a hang, and
 * the gateway serves a normal batch afterwards.
 *
 * <p>Requests are written as byte strings: one char per byte (ISO-8859-1), so CR, LF, NUL and
 * invalid UTF-8 go on the wire exactly as written. The gateway runs one event loop so that the
 * normal batch sent after each case is also a barrier: anything the case's connection made the
 * gateway do is done by the time that batch is answered, and the journal can be compared.
 */
class HostileInputTest {
  private static final String PATH = TestGateway.PATH;

  /** How long a case may take to be answered or closed: a liveness bound, not a performance one. */
  private static final Duration ANSWER = Duration.ofSeconds(10);

  /**
   * How long after its answer a connection that must be closed may stay open. The close follows the
   * answer at once on a correct gateway; a short wait keeps a failing run short.
   */
  private static final Duration CLOSE_AFTER_ANSWER = Duration.ofSeconds(2);

  private static final String HIDDEN_BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"hidden@example.com\"}]}";

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    // One event loop (a key given twice takes its last value), and the access log on, so the log
    // test has access lines to look at.
    gateway = TestGateway.logged("event_loops: 1", "");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  // ---- request smuggling and framing (RFC 9112 §6) ----

  static Stream<Case> framingCases() {
    String chunkedBatch = chunked(BATCH);
    String hidden = post(HIDDEN_BATCH);
    String smuggled = chunkedBatch + hidden;
    return Stream.of(
        new Case(
            "Content-Length then Transfer-Encoding, a request hidden after the chunk terminator",
            head(
                    "POST",
                    PATH,
                    "HTTP/1.1",
                    json(),
                    "Content-Length: " + smuggled.length(),
                    "Transfer-Encoding: chunked")
                + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding then Content-Length, a request hidden after the chunk terminator",
            head(
                    "POST",
                    PATH,
                    "HTTP/1.1",
                    json(),
                    "Transfer-Encoding: chunked",
                    "Content-Length: " + smuggled.length())
                + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "two equal Content-Length headers",
            head(
                    "POST",
                    PATH,
                    "HTTP/1.1",
                    json(),
                    "Content-Length: " + BATCH.length(),
                    "Content-Length: " + BATCH.length())
                + BATCH,
            Expect.refusedAndClosed(400)),
        new Case(
            "two different Content-Length headers",
            head(
                    "POST",
                    PATH,
                    "HTTP/1.1",
                    json(),
                    "Content-Length: " + BATCH.length(),
                    "Content-Length: 10")
                + BATCH,
            Expect.refusedAndClosed(400)),
        new Case(
            "Content-Length: 5, 5",
            head("POST", PATH, "HTTP/1.1", json(), "Content-Length: 5, 5") + "hello",
            Expect.refusedAndClosed(400)),
        new Case(
            "Content-Length: -1",
            head("POST", PATH, "HTTP/1.1", json(), "Content-Length: -1") + "hello",
            Expect.refusedAndClosed(400)),
        new Case(
            "Content-Length: abc",
            head("POST", PATH, "HTTP/1.1", json(), "Content-Length: abc") + "hello",
            Expect.refusedAndClosed(400)),
        new Case(
            "Content-Length: +5",
            head("POST", PATH, "HTTP/1.1", json(), "Content-Length: +5") + "hello",
            Expect.refusedAndClosed(400)),
        new Case(
            "Content-Length: 18446744073709551616 (2^64)",
            head("POST", PATH, "HTTP/1.1", json(), "Content-Length: 18446744073709551616")
                + "hello",
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: chunked, identity (chunked not last), a request hidden after",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked, identity")
                + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: identity, the body is a whole valid request",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: identity") + hidden,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: gzip, the body is a whole valid request",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: gzip") + hidden,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: gzip, chunked (a coding the gateway cannot undo)",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: gzip, chunked") + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "two Transfer-Encoding: chunked headers",
            head(
                    "POST",
                    PATH,
                    "HTTP/1.1",
                    json(),
                    "Transfer-Encoding: chunked",
                    "Transfer-Encoding: chunked")
                + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: chunked on HTTP/1.0",
            head("POST", PATH, "HTTP/1.0", json(), "Transfer-Encoding: chunked") + smuggled,
            Expect.refusedAndClosed(400)),
        new Case(
            "Transfer-Encoding: Chunked (coding names are case-insensitive) is valid",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: Chunked") + chunkedBatch,
            Expect.accepted(1)),
        new Case(
            "chunk size zz",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked")
                + "zz\r\nhello\r\n0\r\n\r\n",
            Expect.refusedAndClosedOrClosed(400)),
        new Case(
            "chunk size -1",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked")
                + "-1\r\nhello\r\n0\r\n\r\n",
            Expect.refusedAndClosedOrClosed(400)),
        new Case(
            "chunk size 10000000000000000 (2^64)",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked")
                + "10000000000000000\r\nhello\r\n0\r\n\r\n",
            Expect.refusedAndClosedOrClosed(400)),
        new Case(
            "a 100 KB chunk extension",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked")
                + "5;"
                + "e".repeat(100 * 1024)
                + "\r\nhello\r\n0\r\n\r\n",
            Expect.refusedAndClosedOrClosed(400)),
        new Case(
            "a small chunk extension 5;name=value is valid",
            head("POST", PATH, "HTTP/1.1", json(), "Transfer-Encoding: chunked")
                + "5;name=value\r\n"
                + BATCH.substring(0, 5)
                + "\r\n"
                + Integer.toHexString(BATCH.length() - 5)
                + "\r\n"
                + BATCH.substring(5)
                + "\r\n0\r\n\r\n",
            Expect.accepted(1)),
        new Case(
            "two valid requests in one write are answered in order",
            post(BATCH, "X-Request-ID: first-of-two")
                + post(HIDDEN_BATCH, "X-Request-ID: second-of-two"),
            Expect.accepted(2)
                .and(
                    exchange ->
                        assertThat(
                                exchange.responses().stream()
                                    .map(r -> r.header("X-Request-ID"))
                                    .toList())
                            .containsExactly("first-of-two", "second-of-two"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framingCases")
  void framing(Case hostile) {
    run(hostile);
  }

  // ---- the request line and header section (RFC 9112 §2-§5, SPEC §6) ----

  static Stream<Case> headCases() {
    return Stream.of(
        new Case(
            "a 1 MB header value",
            post(BATCH, "X-Big: " + "v".repeat(1 << 20)),
            Expect.refusedAndClosed(431)),
        new Case(
            "10,000 small headers", post(BATCH, manyHeaders(10_000)), Expect.refusedAndClosed(431)),
        new Case(
            "a 100 KB URI",
            head("POST", PATH + "?pad=" + "u".repeat(100 * 1024), "HTTP/1.1", json(), length(BATCH))
                + BATCH,
            Expect.refusedAndClosed(414)),
        new Case("NUL in a header value", post(BATCH, "X-Note: a\u0000b"), Expect.refused(400)),
        new Case(
            "a bare CR inside a header line",
            post(BATCH, "X-Note: a\rb"),
            Expect.refusedOrClosed(400)),
        new Case(
            "bare LF line endings (RFC 9112 §2.2 allows a lenient reading)",
            post(BATCH).replace("\r\n", "\n"),
            Expect.lenient()),
        new Case(
            "obs-fold: a header line starting with a space (RFC 9112 §5.2)",
            post(BATCH, "X-Note: a", " folded"),
            Expect.refusedOrAccepted(400)),
        new Case(
            "a bad method token G@T",
            head("G@T", PATH, "HTTP/1.1", json(), length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "an unknown method FOO on start_batch",
            head("FOO", PATH, "HTTP/1.1"),
            Expect.refused(405)
                .and(exchange -> assertThat(exchange.first().header("Allow")).isEqualTo("POST"))),
        new Case("HTTP/0.9 style GET /", "GET /\r\n\r\n", Expect.refusedOrClosed(400)),
        new Case(
            "version HTTP/9.9",
            head("POST", PATH, "HTTP/9.9", json(), length(BATCH)) + BATCH,
            Expect.refusedAndClosed(505)),
        new Case(
            "version HTTP/2.0 on an HTTP/1 connection",
            head("POST", PATH, "HTTP/2.0", json(), length(BATCH)) + BATCH,
            Expect.refusedAndClosed(505)),
        new Case(
            "version HTTP/1.1.1",
            head("POST", PATH, "HTTP/1.1.1", json(), length(BATCH)) + BATCH,
            Expect.refusedAndClosed(400)),
        new Case(
            "version HTTP/x.y",
            head("POST", PATH, "HTTP/x.y", json(), length(BATCH)) + BATCH,
            Expect.refusedAndClosed(400)),
        new Case(
            "protocol FOO/1.1",
            head("POST", PATH, "FOO/1.1", json(), length(BATCH)) + BATCH,
            Expect.refusedAndClosed(400)),
        new Case(
            "no Host on HTTP/1.1 (RFC 9112 §3.2)",
            requestLine("POST", PATH, "HTTP/1.1", json(), length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "two Host headers",
            requestLine("POST", PATH, "HTTP/1.1", "Host: x", "Host: y", json(), length(BATCH))
                + BATCH,
            Expect.refused(400)),
        new Case(
            "Host: a b",
            requestLine("POST", PATH, "HTTP/1.1", "Host: a b", json(), length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "Host: @@",
            requestLine("POST", PATH, "HTTP/1.1", "Host: @@", json(), length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "Host: x:abc",
            requestLine("POST", PATH, "HTTP/1.1", "Host: x:abc", json(), length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "HTTP/1.0 without Host is valid",
            requestLine("POST", PATH, "HTTP/1.0", json(), length(BATCH)) + BATCH,
            Expect.accepted(1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("headCases")
  void requestHead(Case hostile) {
    run(hostile);
  }

  // ---- percent-encoding ----

  static Stream<Case> percentEncodingCases() {
    return Stream.of(
        new Case(
            "%zz in the path",
            head(
                    "POST",
                    "/api/v1.1/campaigns/triggers/%zz/start_batch",
                    "HTTP/1.1",
                    json(),
                    length(BATCH))
                + BATCH,
            Expect.refused(400, 404)),
        new Case(
            "?format=%zz",
            head("POST", PATH + "?format=%zz", "HTTP/1.1", json(), length(BATCH)) + BATCH,
            Expect.refused(400)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("percentEncodingCases")
  void percentEncoding(Case hostile) {
    run(hostile);
  }

  /**
   * The token is a secret (SPEC §6a, §8): a request the gateway cannot even decode must not put the
   * query's token into any log line or logged exception.
   */
  @Test
  void aQueryTokenNeverReachesTheLogWhenTheQueryIsMalformed() {
    String secret = "secret-query-token";
    String body = "{\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    root.addAppender(seen);
    RawHttp.Exchange answered;
    try {
      try (RawHttp connection = RawHttp.open(gateway.port())) {
        connection.send(
            head(
                    "POST",
                    PATH + "?token=" + secret + "&format=%zz",
                    "HTTP/1.1",
                    json(),
                    "X-Request-ID: malformed-query",
                    length(body))
                + body);
        answered = connection.readResponses(1, ANSWER);
      }
      // One event loop: once this is answered, whatever the first request logged is logged.
      assertServesNormalBatch(gateway);
    } finally {
      root.detachAppender(seen);
    }

    List<ILoggingEvent> events = new ArrayList<>(seen.list);
    List<String> accessLines = gateway.accessLines();
    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(accessLines).as("access lines").noneMatch(line -> line.contains(secret));
    for (ILoggingEvent event : events) {
      String logged =
          event.getFormattedMessage()
              + (event.getThrowableProxy() == null
                  ? ""
                  : "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy()));
      softly
          .assertThat(logged)
          .as("a %s line of %s", event.getLevel(), event.getLoggerName())
          .doesNotContain(secret);
    }
    // The capture works: the refused request's line is there.
    softly
        .assertThat(accessLines)
        .anyMatch(
            line ->
                line.contains("\"request_id\":\"malformed-query\"")
                    && line.contains("\"status\":400"));
    softly.check(() -> assertEnvelope(answered.first(), 400));
    softly.assertAll();
  }

  // ---- ambiguities a second parser could resolve differently ----

  static Stream<Case> ambiguityCases() {
    String hidden = post(HIDDEN_BATCH);
    return Stream.of(
        new Case(
            "HTTP/1.0 with two different Content-Length headers (Netty keeps the first)",
            requestLine(
                    "POST",
                    PATH,
                    "HTTP/1.0",
                    "Connection: keep-alive",
                    json(),
                    length(BATCH),
                    "Content-Length: 200")
                + BATCH
                + hidden,
            Expect.refusedThenCut(400)),
        new Case(
            "a batch pipelined behind a refusal that closes the connection",
            head("PUT", PATH, "HTTP/1.1", json(), length(BATCH)) + BATCH + hidden,
            Expect.refusedAndClosed(405)),
        new Case(
            "a control character in the request target",
            head("GET", "/hea\u0001lth", "HTTP/1.1"),
            Expect.refusedAndClosed(400)),
        new Case(
            "two Authorization headers",
            post(BATCH, "Authorization: Bearer good", "Authorization: Bearer evil"),
            Expect.refused(400)),
        new Case(
            "two tokens in the query",
            head("POST", PATH + "?token=good&token=evil", "HTTP/1.1", json(), length(BATCH))
                + BATCH,
            Expect.refused(400)),
        new Case(
            "Content-Type: ;;; (parameters without a media type)",
            head("POST", PATH, "HTTP/1.1", "Content-Type: ;;;", length(BATCH)) + BATCH,
            Expect.refused(400)),
        new Case(
            "a GET with a body, which no route reads",
            head("GET", "/health", "HTTP/1.1", length(BATCH)) + BATCH,
            Expect.refusedAndClosed(400)),
        jsonCase(
            "1e400 as a custom field_value (no double holds it)",
            "{\"token\":\"t\",\"trigger_id\":8,\"matching\":\"custom\",\"field_name\":\"x\","
                + "\"data\":[{\"field_value\":1e400}]}"),
        jsonCase(
            "trigger_id 9223372036854775808e0 (an exponent, past 2^63)",
            "{\"token\":\"t\",\"trigger_id\":9223372036854775808e0,"
                + "\"data\":[{\"email\":\"a@example.com\"}]}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ambiguityCases")
  void ambiguity(Case hostile) {
    run(hostile);
  }

  // ---- JSON bombs: every body is invalid, so 400 is the right answer whatever the bomb does ----

  static Stream<Case> jsonBombCases() {
    return Stream.of(
        jsonCase(
            "10,000 nested [ as data (invalid: items must be objects)",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":"
                + "[".repeat(10_000)
                + "]".repeat(10_000)
                + "}"),
        jsonCase(
            "100,000 nested [ as data (invalid: items must be objects)",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":"
                + "[".repeat(100_000)
                + "]".repeat(100_000)
                + "}"),
        jsonCase(
            "a 9 MB string as data[0].email (invalid: maxLength 320)",
            "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@"
                + "e".repeat(9 * 1024 * 1024)
                + "\"}]}"),
        jsonCase(
            "trigger_id 1e999999 (invalid: over the int64 maximum)",
            BATCH.replace("\"trigger_id\":8", "\"trigger_id\":1e999999")),
        jsonCase(
            "a 30-digit trigger_id (invalid: over the int64 maximum)",
            BATCH.replace("\"trigger_id\":8", "\"trigger_id\":123456789012345678901234567890")),
        jsonCase(
            "duplicate trigger_id keys (invalid: which one is meant is ambiguous)",
            BATCH.replace("\"trigger_id\":8", "\"trigger_id\":8,\"trigger_id\":9")),
        jsonCase(
            "overlong UTF-8 C0 AF in an email (invalid UTF-8)",
            BATCH.replace("a@example", "a\u00c0\u00af@example")),
        jsonCase(
            "an encoded surrogate ED A0 80 in an email (invalid UTF-8)",
            BATCH.replace("a@example", "a\u00ed\u00a0\u0080@example")),
        jsonCase(
            "F4 90 80 80, above U+10FFFF, in an email (invalid UTF-8)",
            BATCH.replace("a@example", "a\u00f4\u0090\u0080\u0080@example")),
        jsonCase(
            "a lone surrogate escape \\ud800 in an email (invalid: not a Unicode string)",
            BATCH.replace("a@example", "a\\ud800@example")),
        jsonCase(
            "a \\u0000 escape in an email (invalid: a control character in an address)",
            BATCH.replace("a@example", "a\\u0000@example")),
        jsonCase(
            "a UTF-8 BOM before a valid body (invalid: RFC 8259 §8.1, no BOM on the wire)",
            "\u00ef\u00bb\u00bf" + BATCH),
        jsonCase("an empty body (invalid)", ""),
        jsonCase("null (invalid: not an object)", "null"),
        jsonCase("[] (invalid: not an object)", "[]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonBombCases")
  void jsonBombs(Case hostile) {
    run(hostile);
  }

  // ---- XML bombs: DOCTYPEs and entities are refused, never fetched or expanded (SPEC §3) ----

  static Stream<Case> xmlBombCases() {
    String batch =
        "<xml><token>t</token><trigger_id>8</trigger_id>"
            + "<data><email>a@example.com</email></data></xml>";
    StringBuilder laughs = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE xml [\n");
    laughs.append(" <!ENTITY lol0 \"lol\">\n");
    for (int i = 1; i <= 9; i++) {
      laughs.append(" <!ENTITY lol").append(i).append(" \"");
      laughs.append(("&lol" + (i - 1) + ";").repeat(10)).append("\">\n");
    }
    laughs.append("]>\n").append(batch.replace("a@example.com", "&lol9;"));
    return Stream.of(
        xmlCase("billion laughs", laughs.toString()),
        xmlCase(
            "an external entity file:///etc/passwd",
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + batch.replace("a@example.com", "&x;")),
        xmlCase(
            "an external DTD",
            "<?xml version=\"1.0\"?><!DOCTYPE xml SYSTEM \"file:///etc/passwd\">" + batch),
        xmlCase(
            "parameter entities",
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY % p SYSTEM \"file:///etc/passwd\">"
                + " %p;]>"
                + batch),
        new Case(
            "XInclude of file:///etc/passwd inside data (invalid: the item has no email)",
            postXml(
                "<xml><token>t</token><trigger_id>8</trigger_id><data>"
                    + "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\""
                    + " href=\"file:///etc/passwd\"/></data></xml>"),
            Expect.refused(400, 403)),
        xmlCase(
            "100,000 nested elements",
            "<xml><token>t</token><trigger_id>8</trigger_id><data>"
                + "<a>".repeat(100_000)
                + "</a>".repeat(100_000)
                + "</data></xml>"),
        xmlCase(
            "a 5 MB attribute value (invalid: the item has no email)",
            "<xml><token>t</token><trigger_id>8</trigger_id><data big=\""
                + "b".repeat(5 * 1024 * 1024)
                + "\"><phone>+79000000000</phone></data></xml>"),
        new Case(
            "a UTF-16 body with a BOM (only UTF-8 is accepted)",
            postXml(
                new String(
                    ("<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + batch)
                        .getBytes(StandardCharsets.UTF_16),
                    StandardCharsets.ISO_8859_1)),
            Expect.refused(400)),
        xmlCase(
            "encoding=\"ISO-8859-1\" declared (only UTF-8 is accepted)",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + batch));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("xmlBombCases")
  void xmlBombs(Case hostile) {
    run(hostile);
  }

  // ---- a request the client gives up on ----

  /**
   * A client that leaves mid-body got no answer, so the request must not count as a 200; the
   * gateway's convention for "closed before any answer" is status 499.
   */
  @Test
  void aRequestCutOffBeforeAnyAnswerIsCountedAs499() {
    double okBefore = requestCount(metrics(), "200");
    try (RawHttp connection = RawHttp.open(gateway.port())) {
      connection.send(
          head("POST", PATH, "HTTP/1.1", json(), "Content-Length: 1000") + "{\"token\":\"");
      // The FIN is the client's close as the gateway sees it; keeping the read side open lets the
      // test see the gateway finish with the connection before it looks at /metrics.
      connection.shutdownOutput();
      RawHttp.Exchange exchange = connection.readUntilClosed(ANSWER);
      assertThat(exchange.closedByServer()).as("%s", exchange).isTrue();
    }
    // One event loop: the connection's end is recorded before this scrape is served.
    String after = metrics();

    String series =
        after
            .lines()
            .filter(line -> line.startsWith("gateway_requests_seconds_count{"))
            .collect(Collectors.joining("\n"));
    SoftAssertions softly = new SoftAssertions();
    softly
        .assertThat(requestCount(after, "499"))
        .as("499 samples in\n%s", series)
        .isGreaterThanOrEqualTo(1);
    softly
        .assertThat(requestCount(after, "200"))
        .as("200 samples (before: %s) in\n%s", okBefore, series)
        .isEqualTo(okBefore);
    softly.assertAll();
    assertServesNormalBatch(gateway);
  }

  private static String metrics() {
    return gateway
        .request(HttpMethod.GET, "/metrics")
        .timeout(RawHttp.BOUND.toMillis())
        .send()
        .await()
        .bodyAsString();
  }

  /** The start_batch requests with this HTTP status, over every error code. */
  private static double requestCount(String metrics, String status) {
    return metrics
        .lines()
        .filter(line -> line.startsWith("gateway_requests_seconds_count{"))
        .filter(line -> line.contains("route=\"start_batch\""))
        .filter(line -> line.contains("status=\"" + status + "\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  // ---- the runner and its expectations ----

  /** Sends the case, checks the answer against its expectation and the general rule. */
  private static void run(Case hostile) {
    long before = gateway.journal().total();
    RawHttp.Exchange exchange;
    try (RawHttp connection = RawHttp.open(gateway.port())) {
      connection.send(hostile.bytes());
      exchange = hostile.expect().read().apply(connection);
    }

    assertThat(exchange.responses())
        .as("no 5xx: %s", exchange)
        .noneMatch(
            response ->
                response.status() >= 500 && response.status() != hostile.expect().serverStatus());
    assertThat(new String(exchange.raw(), StandardCharsets.ISO_8859_1))
        .as("no file content in the answer")
        .doesNotContain("root:");
    hostile.expect().check().accept(exchange);

    assertServesNormalBatch(gateway);
    // The normal batch launched one; whatever the case launched is the rest.
    long launched = gateway.journal().total() - before - 1;
    if (hostile.expect().launches() >= 0) {
      assertThat(launched).as("launches from the case").isEqualTo(hostile.expect().launches());
    }
  }

  /** One hostile request: its name (shown in the report), its bytes and what must happen. */
  record Case(String name, String bytes, Expect expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * What must happen to a case.
   *
   * @param read how to read the connection
   * @param check what must hold of what was read
   * @param launches how many launches the case may cause, or -1 when either outcome is allowed
   * @param serverStatus the one 5xx the case expects (505 for an unsupported version), or 0
   */
  record Expect(
      Function<RawHttp, RawHttp.Exchange> read,
      Consumer<RawHttp.Exchange> check,
      int launches,
      int serverStatus) {

    Expect(
        Function<RawHttp, RawHttp.Exchange> read, Consumer<RawHttp.Exchange> check, int launches) {
      this(read, check, launches, 0);
    }

    Expect and(Consumer<RawHttp.Exchange> more) {
      return new Expect(read, check.andThen(more), launches, serverStatus);
    }

    /**
     * Exactly one answer, the envelope with this status and {@code Connection: close}, then the
     * close.
     */
    static Expect refusedAndClosed(int status) {
      return new Expect(
          HostileInputTest::untilClosed,
          exchange -> {
            assertThat(exchange.responses()).as("exactly one answer: %s", exchange).hasSize(1);
            assertEnvelope(exchange.first(), status);
            assertThat(exchange.first().header("Connection"))
                .as("Connection of %s", exchange.first())
                .isEqualToIgnoringCase("close");
            assertClosed(exchange);
          },
          0,
          status >= 500 ? status : 0);
    }

    /**
     * Exactly one answer, the envelope with this status, then the close — whatever the answer's
     * {@code Connection} says: Vert.x writes {@code keep-alive} to an HTTP/1.0 keep-alive client.
     */
    static Expect refusedThenCut(int status) {
      return new Expect(
          HostileInputTest::untilClosed,
          exchange -> {
            assertThat(exchange.responses()).as("exactly one answer: %s", exchange).hasSize(1);
            assertEnvelope(exchange.first(), status);
            assertClosed(exchange);
          },
          0);
    }

    /** As {@link #refusedAndClosed}, or closed without any answer. */
    static Expect refusedAndClosedOrClosed(int status) {
      return new Expect(
          HostileInputTest::untilClosed,
          exchange -> {
            assertClosed(exchange);
            if (exchange.raw().length > 0) {
              refusedAndClosed(status).check().accept(exchange);
            }
          },
          0);
    }

    /** The first answer is the envelope with one of these statuses. */
    static Expect refused(int... statuses) {
      return new Expect(
          connection -> connection.readResponses(1, ANSWER),
          exchange -> assertEnvelope(exchange.first(), statuses),
          0);
    }

    /** The envelope with this status, or the connection closed without any answer. */
    static Expect refusedOrClosed(int status) {
      return new Expect(
          connection -> connection.readResponses(1, ANSWER),
          exchange -> {
            if (exchange.responses().isEmpty()) {
              assertClosed(exchange);
              assertThat(exchange.raw()).as("nothing but a close: %s", exchange).isEmpty();
            } else {
              assertEnvelope(exchange.first(), status);
            }
          },
          0);
    }

    /** The envelope with this status, or the request served with 200. */
    static Expect refusedOrAccepted(int status) {
      return new Expect(
          connection -> connection.readResponses(1, ANSWER),
          exchange -> {
            if (exchange.first().status() == 200) {
              assertSuccess(exchange.first());
            } else {
              assertEnvelope(exchange.first(), status);
            }
          },
          -1);
    }

    /** Anything but a 5xx or a hang: 200, a 4xx envelope, or a close without an answer. */
    static Expect lenient() {
      return new Expect(
          connection -> connection.readResponses(1, ANSWER),
          exchange -> {
            if (exchange.responses().isEmpty()) {
              assertClosed(exchange);
            } else if (exchange.first().status() == 200) {
              assertSuccess(exchange.first());
            } else {
              assertEnvelope(exchange.first(), 400, 404, 405, 408, 414, 431);
            }
          },
          -1);
    }

    /** {@code count} answers, each a success, each launching one profile. */
    static Expect accepted(int count) {
      return new Expect(
          connection -> connection.readResponses(count, ANSWER),
          exchange -> {
            assertThat(exchange.responses()).as("%d answers: %s", count, exchange).hasSize(count);
            exchange.responses().forEach(EdgeAnswers::assertSuccess);
          },
          count);
    }
  }

  private static RawHttp.Exchange untilClosed(RawHttp connection) {
    RawHttp.Exchange first = connection.readResponses(1, ANSWER);
    if (first.closedByServer()) {
      return first;
    }
    // Something answered or not, the close must follow soon; a second answer would show here too.
    return connection.readUntilClosed(
        first.responses().isEmpty() ? Duration.ZERO : CLOSE_AFTER_ANSWER, CLOSE_AFTER_ANSWER);
  }

  private static void assertClosed(RawHttp.Exchange exchange) {
    assertThat(exchange.closedByServer())
        .as("the gateway closes the connection: %s", exchange)
        .isTrue();
  }

  // ---- building requests ----

  private static Case jsonCase(String name, String body) {
    return new Case(name, post(body), Expect.refused(400));
  }

  private static Case xmlCase(String name, String body) {
    return new Case(name, postXml(body), Expect.refused(400));
  }

  /** A POST to start_batch with Host, a JSON content type and the body's length. */
  private static String post(String body, String... headers) {
    return post("Content-Type: application/json", body, headers);
  }

  private static String postXml(String body) {
    return post("Content-Type: application/xml", body, new String[0]);
  }

  private static String post(String contentType, String body, String[] headers) {
    List<String> all = new ArrayList<>(List.of(contentType, length(body)));
    all.addAll(List.of(headers));
    return head("POST", PATH, "HTTP/1.1", all.toArray(String[]::new)) + body;
  }

  /** A request head with {@code Host: x} first. */
  private static String head(String method, String target, String version, String... headers) {
    String[] withHost = new String[headers.length + 1];
    withHost[0] = "Host: x";
    System.arraycopy(headers, 0, withHost, 1, headers.length);
    return requestLine(method, target, version, withHost);
  }

  /** A request head with exactly these header lines. */
  private static String requestLine(
      String method, String target, String version, String... headers) {
    StringBuilder head = new StringBuilder(method + " " + target + " " + version + "\r\n");
    for (String header : headers) {
      head.append(header).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  private static String json() {
    return "Content-Type: application/json";
  }

  /** The Content-Length of a byte string. */
  private static String length(String body) {
    return "Content-Length: " + body.length();
  }

  private static String chunked(String body) {
    return Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
  }

  private static String manyHeaders(int count) {
    StringBuilder headers = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        headers.append("\r\n");
      }
      headers.append("X-H").append(i).append(": v");
    }
    return headers.toString();
  }
}
