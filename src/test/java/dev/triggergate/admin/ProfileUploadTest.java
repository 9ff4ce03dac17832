package dev.triggergate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import dev.triggergate.engine.memory.ProfileUpload;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Replacing the profiles while batches keep coming: every answer comes from the old set or from the
 * new one, never from a mix; a too-large or bad upload changes nothing.
 */
class ProfileUploadTest {
  private static final String TOKEN = "admin-token-0123456789";

  /** Matched on a worker (over 2,000 items), beside the swap: a swap mid-batch would show. */
  private static final String BATCH =
      "{\"token\":\"t\",\"trigger_id\":8,\"data\":["
          + "{\"email\":\"anna@example.com\"},{\"email\":\"boris@example.com\"},".repeat(1_250)
          + "{\"email\":\"anna@example.com\"}]}";

  private static final String OLD =
      profile("aaaaaaaaaaaaaaaaaaaaaaa1", "anna") + profile("aaaaaaaaaaaaaaaaaaaaaaa2", "boris");
  private static final String NEW =
      profile("bbbbbbbbbbbbbbbbbbbbbbb1", "anna") + profile("bbbbbbbbbbbbbbbbbbbbbbb2", "boris");
  private static final String CONFIG =
      "admin: {enabled: true, token: "
          + TOKEN
          + ", profiles_max_bytes: 4096}\n"
          + "engine: {memory: {auto_profiles: false, triggers: [{id: 8}]}}\n";

  @Test
  void batchesAnsweredDuringAnUploadSeeTheOldSetOrTheNewNeverAMix() {
    Vertx clients = Vertx.vertx();
    try (TestGateway gateway = TestGateway.start(CONFIG)) {
      assertThat(upload(gateway, OLD).bodyAsJsonObject().getInteger("profiles")).isEqualTo(2);
      WebClient client =
          WebClient.create(
              clients,
              new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(gateway.port()),
              new PoolOptions().setHttp1MaxSize(8));
      Set<List<Object>> answers = ConcurrentHashMap.newKeySet();
      AtomicInteger sent = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      Promise<Void> warm = Promise.promise();
      List<Future<Void>> loops = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        loops.add(keepPosting(client, answers, sent, stop, warm));
      }
      warm.future().await();

      // Many swaps, each while batches are being matched: one mid-batch would show as a mix.
      for (int i = 0; i < 30; i++) {
        assertThat(upload(gateway, i % 2 == 0 ? NEW : OLD).statusCode()).isEqualTo(200);
      }
      stop.set(true);
      Future.all(loops).await();

      assertThat(answers)
          .containsExactlyInAnyOrder(
              List.of("aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2"),
              List.of("bbbbbbbbbbbbbbbbbbbbbbb1", "bbbbbbbbbbbbbbbbbbbbbbb2"));
    } finally {
      clients.close().await();
    }
  }

  @Test
  void aTooLargeOrBadUploadIsRefusedAndTheOldSetStays() {
    try (TestGateway gateway = TestGateway.start(CONFIG)) {
      upload(gateway, OLD);
      StringBuilder large = new StringBuilder();
      for (int i = 0; i < 60; i++) {
        large.append(profile(String.format("%024x", i), "p" + i));
      }

      HttpResponse<Buffer> tooLarge = upload(gateway, large.toString());
      HttpResponse<Buffer> bad = upload(gateway, NEW + "{\"profile_id\": \"nope\"}\n");

      assertThat(tooLarge.statusCode()).isEqualTo(400);
      assertThat(tooLarge.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("http: request body too large");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("profiles: line 3: profile_id must be 24 lowercase hex characters");
      assertThat(gateway.postJson(BATCH).bodyAsJsonObject().getJsonArray("result"))
          .extracting(item -> ((JsonObject) item).getString("profile_id"))
          .containsExactly("aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2");
    }
  }

  @Test
  void aChunkedUploadUnderTheCapIsTakenAndABadlyShapedLineIsA400() {
    try (TestGateway gateway = TestGateway.start(CONFIG)) {
      StringBuilder body = new StringBuilder();
      for (int i = 0; body.length() < 3_500; i++) {
        body.append(profile(String.format("%024x", i), "c" + i));
      }
      try (RawHttp client = RawHttp.open(gateway.port())) {
        String chunk = body.toString();
        RawHttp.Response answer =
            client
                .send(
                    "PUT /admin/profiles HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                        + TOKEN
                        + "\r\nContent-Type: application/x-ndjson\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(chunk.length())
                        + "\r\n"
                        + chunk
                        + "\r\n0\r\n\r\n")
                .readResponses(1, RawHttp.BOUND)
                .first();

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      }
      HttpResponse<Buffer> shaped =
          upload(gateway, "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaaa\", \"fields\": 5}\n");

      assertThat(shaped.statusCode()).isEqualTo(400);
      assertThat(shaped.bodyAsJsonObject().getString("error_debug"))
          .startsWith("profiles: line 1: not a profile");
      // Null is none, as for fields; a subscription that is not an object is named, not a 500.
      assertThat(
              upload(
                      gateway,
                      "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaaa\", \"subscriptions\": null}")
                  .statusCode())
          .isEqualTo(200);
      for (String subscriptions : List.of("[null]", "[5]")) {
        HttpResponse<Buffer> empty =
            upload(
                gateway,
                NEW
                    + "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaaa\", \"subscriptions\": "
                    + subscriptions
                    + "}\n");
        assertThat(empty.statusCode()).as(subscriptions).isEqualTo(400);
        assertThat(empty.bodyAsJsonObject().getString("error_debug"))
            .as(subscriptions)
            .startsWith("profiles: line 3: ");
      }
    }
  }

  /** Up to 16 MiB an upload, every line in many chunks: what the streaming tests need. */
  private static final String LARGE =
      "admin: {enabled: true, token: "
          + TOKEN
          + ", profiles_max_bytes: 16777216}\n"
          + "engine: {memory: {auto_profiles: false, triggers: [{id: 8}]}}\n";

  private static final int MANY = 70_000;

  @Test
  void aMultiMebibyteUploadInManySmallChunksGivesExactlyItsSet() {
    try (TestGateway gateway = TestGateway.start(LARGE)) {
      upload(gateway, OLD);
      String body = many(MANY, -1);
      assertThat(body.length()).isGreaterThan(8 << 20);

      RawHttp.Response answer;
      try (RawHttp client = RawHttp.open(gateway.port())) {
        // 777-byte chunks: most lines straddle a chunk boundary, and the long one spans dozens.
        answer =
            client.send(chunkedHead() + chunked(body, 777)).readResponses(1, RawHttp.BOUND).first();
      }

      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      assertThat(new JsonObject(answer.bodyText()).getInteger("profiles")).isEqualTo(MANY);
      assertThat(launched(gateway, "p0", "p" + MANY / 2, "p" + (MANY - 1), "anna", "long"))
          .containsExactly(id(0), id(MANY / 2), id(MANY - 1), id(7));
    }
  }

  @Test
  void aBadLineDeepInAnUploadIsA400NamingItAndTheOldSetStays() {
    try (TestGateway gateway = TestGateway.start(LARGE)) {
      upload(gateway, OLD);

      HttpResponse<Buffer> bad = upload(gateway, many(MANY, MANY / 2));

      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.bodyAsJsonObject().getString("error_debug"))
          // One more than the profile's place: the long profile is followed by a blank line.
          .isEqualTo(
              "profiles: line "
                  + (MANY / 2 + 2)
                  + ": profile_id must be 24 lowercase hex characters");
      assertOldSet(gateway);
    }
  }

  @Test
  void aBadLineIsAnsweredWhileTheRestOfTheUploadIsStillUnsent() {
    try (TestGateway gateway = TestGateway.start(LARGE);
        RawHttp client = RawHttp.open(gateway.port())) {
      upload(gateway, OLD);
      String start = OLD + "{\"profile_id\": \"nope\"}\n" + NEW;

      // 10 MB declared, a few hundred bytes sent: an upload read whole could not answer yet.
      RawHttp.Exchange answer =
          client.send(head("Content-Length: 10000000") + start).readResponses(1, RawHttp.BOUND);

      assertThat(answer.first().status()).as(answer.toString()).isEqualTo(400);
      assertThat(new JsonObject(answer.first().bodyText()).getString("error_debug"))
          .isEqualTo("profiles: line 3: profile_id must be 24 lowercase hex characters");
      assertThat(answer.first().header("Connection")).isEqualTo("close");
      assertOldSet(gateway);
    }
  }

  @Test
  void aLineOverTheCapIsA400NamingItEvenWhenItNeverEnds() {
    try (TestGateway gateway = TestGateway.start(LARGE);
        RawHttp endless = RawHttp.open(gateway.port())) {
      upload(gateway, OLD);
      String longLine =
          "{\"profile_id\": \"aaaaaaaaaaaaaaaaaaaaaaa9\", \"fields\": {\"x\": \""
              + "x".repeat(ProfileUpload.MAX_LINE_BYTES)
              + "\"}}\n";

      HttpResponse<Buffer> tooLong = upload(gateway, NEW + longLine + NEW);
      // No newline, and the body declared far longer than the cap: refused as it piles up.
      RawHttp.Exchange cut =
          endless
              .send(head("Content-Length: 16000000") + NEW + "y".repeat(2 << 20))
              .readResponses(1, RawHttp.BOUND);

      assertThat(tooLong.statusCode()).isEqualTo(400);
      assertThat(tooLong.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("profiles: line 3: longer than 1048576 bytes (one profile a line)");
      assertThat(cut.first().status()).as(cut.toString()).isEqualTo(400);
      assertThat(new JsonObject(cut.first().bodyText()).getString("error_debug"))
          .isEqualTo("profiles: line 3: longer than 1048576 bytes (one profile a line)");
      assertOldSet(gateway);
    }
  }

  @Test
  void anUploadOverTheCapWithoutALengthIsRefusedAsItStreamsAndTheOldSetStays() {
    try (TestGateway gateway = TestGateway.start(CONFIG);
        RawHttp client = RawHttp.open(gateway.port())) {
      upload(gateway, OLD);
      StringBuilder body = new StringBuilder();
      for (int i = 0; body.length() < 6_000; i++) {
        body.append(profile(String.format("%024x", i), "c" + i));
      }

      RawHttp.Exchange answer =
          client.send(chunkedHead() + chunked(body.toString(), 500)).readUntilClosed();

      assertThat(answer.first().status()).as(answer.toString()).isEqualTo(400);
      assertThat(new JsonObject(answer.first().bodyText()).getString("error_debug"))
          .isEqualTo("http: request body too large");
      assertThat(answer.closedByServer()).isTrue();
      assertOldSet(gateway);
    }
  }

  @Test
  void aClientThatLeavesMidUploadChangesNothingAndTheNextUploadIsTaken() {
    try (TestGateway gateway = TestGateway.start(LARGE)) {
      upload(gateway, OLD);
      String half = many(MANY, -1).substring(0, 4 << 20);
      try (RawHttp leaving = RawHttp.open(gateway.port())) {
        leaving.send(head("Content-Length: " + (8 << 20)) + half);
        RawHttp.await(leaving.sent(), RawHttp.BOUND);
      }

      assertOldSet(gateway);
      // Taken once the server has seen the client go and its last parse is over: until then a
      // second upload is refused, so a few tries may be needed.
      HttpResponse<Buffer> next = uploadOnceFree(gateway, NEW);
      assertThat(next.statusCode()).isEqualTo(200);
      assertThat(launched(gateway, "anna", "boris"))
          .containsExactly("bbbbbbbbbbbbbbbbbbbbbbb1", "bbbbbbbbbbbbbbbbbbbbbbb2");
    }
  }

  @Test
  void aSecondUploadWhileOneIsReadIsA503AndTheFirstStillCompletes() {
    try (TestGateway gateway = TestGateway.start(LARGE);
        RawHttp first = RawHttp.open(gateway.port())) {
      upload(gateway, OLD);
      RawHttp.Exchange continued =
          first
              .send(head("Expect: 100-continue\r\nContent-Length: " + NEW.length()))
              .readResponses(1, RawHttp.BOUND);
      assertThat(continued.first().status()).isEqualTo(100);

      HttpResponse<Buffer> second = upload(gateway, OLD);
      RawHttp.Exchange done = first.send(NEW).readResponses(2, RawHttp.BOUND);

      assertThat(second.statusCode()).isEqualTo(503);
      assertThat(second.getHeader("Retry-After")).isEqualTo("1");
      assertThat(second.bodyAsJsonObject().getString("error_debug"))
          .isEqualTo("another profile upload is being read");
      assertThat(done.responses().get(1).status()).as(done.toString()).isEqualTo(200);
      assertThat(launched(gateway, "anna", "boris"))
          .containsExactly("bbbbbbbbbbbbbbbbbbbbbbb1", "bbbbbbbbbbbbbbbbbbbbbbb2");
    }
  }

  @Test
  void anUploadDribbledBelowTheMinimumRateIsCutWith408AndTheOldSetStays() {
    try (TestGateway gateway =
            TestGateway.start("body_min_bytes_per_second: 1000, body_timeout_ms: 60000", LARGE);
        RawHttp slow = RawHttp.open(gateway.port())) {
      upload(gateway, OLD);
      slow.send(head("Content-Length: " + NEW.length()));
      // Ten bytes a second against a minimum of 1000: the first 5 s window ends it.
      slow.trickle(NEW, Duration.ofMillis(100));

      RawHttp.Exchange answered = slow.readResponses(1, Duration.ofSeconds(10));
      Duration after = slow.age();
      // Closed once the answer had time to be read (the lingering close drops what still comes).
      RawHttp.Exchange cut = slow.readUntilClosed(Duration.ofSeconds(10));

      assertThat(answered.first().status()).as(answered.toString()).isEqualTo(408);
      assertThat(after).isBetween(Duration.ofMillis(4_500), Duration.ofSeconds(9));
      assertThat(cut.closedByServer()).as(cut.toString()).isTrue();
      assertOldSet(gateway);
      assertThat(uploadOnceFree(gateway, NEW).statusCode()).isEqualTo(200);
    }
  }

  /**
   * {@code count} profiles {@code p<i>@example.com} with ids {@code id(i)}, one of them (the 8th)
   * with a long field and the email {@code long@example.com}; line {@code bad + 1} is not a profile
   * (-1: none).
   */
  private static String many(int count, int bad) {
    StringBuilder text = new StringBuilder(count * 150);
    for (int i = 0; i < count; i++) {
      if (i == bad) {
        text.append("{\"profile_id\": \"not-hex\"}\n");
      } else if (i == 7) {
        text.append("{\"profile_id\": \"")
            .append(id(i))
            .append("\", \"email\": \"long@example.com\", \"fields\": {\"note\": \"")
            .append("n".repeat(50_000))
            .append("\"}}\r\n\n");
      } else {
        text.append("{\"profile_id\": \"")
            .append(id(i))
            .append("\", \"email\": \"p")
            .append(i)
            .append("@example.com\", \"phone\": \"+7 900 ")
            .append(String.format("%07d", i))
            .append("\", \"fields\": {\"n\": ")
            .append(i)
            .append("}}\n");
      }
    }
    return text.toString();
  }

  private static String id(int i) {
    return String.format("%024x", i);
  }

  /** The ids a batch for these emails (each {@code <name>@example.com}) launched, in order. */
  private static List<String> launched(TestGateway gateway, String... names) {
    JsonArray data = new JsonArray();
    for (String name : names) {
      data.add(new JsonObject().put("email", name + "@example.com"));
    }
    JsonObject batch = new JsonObject().put("token", "t").put("trigger_id", 8).put("data", data);
    HttpResponse<Buffer> answer = gateway.postJson(batch.encode());
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    answer
        .bodyAsJsonObject()
        .getJsonArray("result")
        .forEach(item -> ids.add(((JsonObject) item).getString("profile_id")));
    return ids;
  }

  private static void assertOldSet(TestGateway gateway) {
    assertThat(launched(gateway, "anna", "boris", "p1"))
        .containsExactly("aaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaa2");
  }

  /** Uploads, trying again on a timer while another upload still holds the one slot; bounded. */
  private static HttpResponse<Buffer> uploadOnceFree(TestGateway gateway, String ndjson) {
    long deadline = System.nanoTime() + RawHttp.BOUND.toNanos();
    HttpResponse<Buffer> answer = upload(gateway, ndjson);
    while (answer.statusCode() == 503 && System.nanoTime() < deadline) {
      gateway.vertx.timer(20).await();
      answer = upload(gateway, ndjson);
    }
    return answer;
  }

  private static String head(String framing) {
    return "PUT /admin/profiles HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
        + TOKEN
        + "\r\nContent-Type: application/x-ndjson\r\n"
        + framing
        + "\r\n\r\n";
  }

  private static String chunkedHead() {
    return head("Transfer-Encoding: chunked");
  }

  /** The text in chunked framing, {@code size} characters a chunk (one byte each: ASCII). */
  private static String chunked(String text, int size) {
    StringBuilder framed = new StringBuilder(text.length() + text.length() / size * 8 + 16);
    for (int i = 0; i < text.length(); i += size) {
      int end = Math.min(text.length(), i + size);
      framed
          .append(Integer.toHexString(end - i))
          .append("\r\n")
          .append(text, i, end)
          .append("\r\n");
    }
    return framed.append("0\r\n\r\n").toString();
  }

  /** Posts the batch again and again until told to stop; records each answer's profile ids. */
  private static Future<Void> keepPosting(
      WebClient client,
      Set<List<Object>> answers,
      AtomicInteger sent,
      AtomicBoolean stop,
      Promise<Void> warm) {
    if (stop.get()) {
      return Future.succeededFuture();
    }
    return client
        .post(TestGateway.PATH)
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(BATCH))
        .compose(
            answer -> {
              JsonArray result = answer.bodyAsJsonObject().getJsonArray("result");
              List<Object> ids = new ArrayList<>();
              result.forEach(item -> ids.add(((JsonObject) item).getString("profile_id")));
              answers.add(ids);
              if (sent.incrementAndGet() >= 200) {
                warm.tryComplete();
              }
              return keepPosting(client, answers, sent, stop, warm);
            });
  }

  private static HttpResponse<Buffer> upload(TestGateway gateway, String ndjson) {
    return gateway
        .request(HttpMethod.PUT, "/admin/profiles")
        .putHeader("Authorization", "Bearer " + TOKEN)
        .putHeader("Content-Type", "application/x-ndjson")
        .sendBuffer(Buffer.buffer(ndjson))
        .await();
  }

  private static String profile(String id, String name) {
    return "{\"profile_id\": \"" + id + "\", \"email\": \"" + name + "@example.com\"}\n";
  }
}
