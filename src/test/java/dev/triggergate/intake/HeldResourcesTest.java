package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.RawHttp;
import dev.triggergate.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a request holds comes back however it ends, even when a later step runs after it left. */
class HeldResourcesTest {
  /** A body that takes more than half of the budget: two of them never fit together. */
  private static final int LARGE = 900_000;

  private TestGateway gateway;

  @BeforeEach
  void start() {
    // One permit each 500 ms, waited for up to 2 s: requests queue on the limiter's timer.
    gateway =
        TestGateway.start(
            "event_loops: 1",
            """
            limits: {body_max_bytes: 1048576, body_with_files_max_bytes: 1048576,
                     max_in_flight_bytes: 1100000}
            rate_limits:
              policies:
                - {name: one, key: global, limit: 1, period_ms: 500, max_wait_ms: 2000}
            """);
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  @Test
  void aClientThatLeavesWhileWaitingForARateLimitTakesNoBodyBudget() throws Exception {
    assertThat(gateway.postJson(batchOf(100)).statusCode()).isEqualTo(200);
    // Two heads declaring large bodies, then gone: they wait on the limiter's timer, and when it
    // fires their exchange is over. Taking their declared lengths then would leak them for good.
    for (int i = 0; i < 2; i++) {
      try (RawHttp connection = RawHttp.open(gateway.port())) {
        connection
            .send(
                "POST "
                    + TestGateway.PATH
                    + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + LARGE
                    + "\r\n\r\n")
            .sent()
            .get(RawHttp.BOUND.toSeconds(), TimeUnit.SECONDS);
      }
    }

    // Its permit comes after theirs, so it reads its body after their timers have fired.
    HttpResponse<Buffer> large = gateway.postJson(batchOf(LARGE));

    assertThat(large.statusCode()).as(large.bodyAsString()).isEqualTo(200);
  }

  /** A valid batch of exactly {@code size} bytes (an unknown top-level field pads it). */
  private static String batchOf(int size) {
    String head =
        "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}],\"pad\":\"";
    String tail = "\"}";
    return head + "x".repeat(size - head.length() - tail.length()) + tail;
  }
}
