package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The body bytes all requests may hold at once: a body that does not fit is refused with 503, and
 * every byte taken comes back when its request ends.
 */
class BodyBudgetTest {
  /** One body may be 1 MiB, and all bodies in flight together 1 MiB too. */
  private static final int BUDGET = 1 << 20;

  private TestGateway gateway;

  @BeforeEach
  void start() {
    gateway =
        TestGateway.start(
            // The held requests below send their bodies only when told: no minimum body rate.
            "body_min_bytes_per_second: 0",
            "limits: {body_max_bytes: "
                + BUDGET
                + ", body_with_files_max_bytes: "
                + BUDGET
                + ", max_in_flight_bytes: "
                + BUDGET
                + "}\n");
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  @Test
  void aDeclaredLengthTheBudgetCannotHoldIsRefusedBeforeTheBody() {
    Slow first = Slow.declaring(gateway, 600_000);
    Slow second = Slow.declaring(gateway, 600_000);

    String refused = second.untilClosed();
    first.finish();

    assertThat(refused)
        .startsWith("HTTP/1.1 503")
        .contains("Retry-After: 1")
        .contains(
            "overloaded: request bodies in flight hold 600000 of 1048576 bytes; this one needs"
                + " 600000 more")
        .doesNotContain("100 Continue");
    assertThat(first.answer()).contains("HTTP/1.1 200");
    assertWholeBudgetIsFree();
  }

  @Test
  void aChunkedBodyIsRefusedOnceItOutgrowsTheBudget() {
    Slow first = Slow.declaring(gateway, 600_000);
    NetSocket socket = gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
    Buffer answer = Buffer.buffer();
    Promise<Void> closed = Promise.promise();
    socket.handler(answer::appendBuffer);
    socket.closeHandler(v -> closed.complete());

    socket.write(
        "POST " + TestGateway.PATH + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    socket.write(Integer.toHexString(500_000) + "\r\n" + "x".repeat(500_000) + "\r\n");
    closed.future().await();
    first.finish();

    assertThat(answer.toString()).startsWith("HTTP/1.1 503").contains("overloaded");
    assertThat(first.answer()).contains("HTTP/1.1 200");
    assertWholeBudgetIsFree();
  }

  /** A body as large as the whole budget passes only if every earlier byte was given back. */
  private void assertWholeBudgetIsFree() {
    HttpResponse<Buffer> whole = gateway.post("application/json", batchOf(BUDGET));
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.bodyAsJsonObject().getInteger("error")).isZero();
  }

  /** A valid batch of exactly {@code size} bytes (an unknown top-level field pads it). */
  private static Buffer batchOf(int size) {
    String head =
        "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}],\"pad\":\"";
    String tail = "\"}";
    Buffer body = Buffer.buffer(head + "x".repeat(size - head.length() - tail.length()) + tail);
    assertThat(new JsonObject(body).getString("token")).isEqualTo("t");
    return body;
  }

  /**
   * A request that declared its length and, told to continue, holds its share of the budget until
   * {@link #finish()} sends the body.
   */
  private static final class Slow {
    private final NetSocket socket;
    private final Buffer body;
    private final Buffer answer = Buffer.buffer();
    private final Promise<Void> continued = Promise.promise();
    private final Promise<Void> answered = Promise.promise();
    private final Promise<Void> closed = Promise.promise();

    private Slow(NetSocket socket, Buffer body) {
      this.socket = socket;
      this.body = body;
    }

    /** Sends the head; returns once the gateway said continue, or closed the connection. */
    static Slow declaring(TestGateway gateway, int length) {
      NetSocket socket =
          gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
      Slow slow = new Slow(socket, batchOf(length));
      socket.handler(slow::received);
      socket.closeHandler(v -> slow.closed.complete());
      socket.write(
          "POST "
              + TestGateway.PATH
              + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Expect: 100-continue\r\nContent-Length: "
              + length
              + "\r\n\r\n");
      Future.any(slow.continued.future(), slow.closed.future()).await();
      return slow;
    }

    private void received(Buffer chunk) {
      answer.appendBuffer(chunk);
      String text = answer.toString();
      if (text.contains("100 Continue")) {
        continued.tryComplete();
      }
      if (text.contains("\"error\"")) {
        answered.tryComplete();
      }
    }

    void finish() {
      socket.write(body);
      answered.future().await();
      socket.close();
    }

    String untilClosed() {
      closed.future().await();
      return answer.toString();
    }

    String answer() {
      return answer.toString();
    }
  }
}
