package dev.triggergate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
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
          .extracting(item -> ((io.vertx.core.json.JsonObject) item).getString("profile_id"))
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
    }
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
              result.forEach(
                  item -> ids.add(((io.vertx.core.json.JsonObject) item).getString("profile_id")));
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
