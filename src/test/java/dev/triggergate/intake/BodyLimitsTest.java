package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The byte caps of SPEC §6 with real bodies: counted as bytes arrive, whatever is declared. */
class BodyLimitsTest {
  private static final int CAP = 10 * 1024 * 1024;
  private static final JsonObject TOO_LARGE =
      new JsonObject()
          .put("error", 400)
          .put("error_text", "Invalid request")
          .put("error_debug", "http: request body too large");

  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start("");
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  /** A valid batch of email items padded with trailing spaces to exactly {@code size} bytes. */
  static Buffer batchOfSize(int size) {
    StringBuilder body = new StringBuilder(size);
    body.append("{\"token\":\"t\",\"trigger_id\":8,\"data\":[");
    int i = 0;
    while (body.length() < size - 64) {
      if (i > 0) {
        body.append(',');
      }
      body.append("{\"email\":\"user").append(i++).append("@example.com\"}");
    }
    body.append("]}");
    char[] padding = new char[size - body.length()];
    Arrays.fill(padding, ' ');
    body.append(padding);
    assertThat(body.length()).isEqualTo(size);
    return Buffer.buffer(body.toString());
  }

  @Test
  void bodyOfExactlyTheCapIsAccepted() {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response = gateway.post("application/json", batchOfSize(CAP));

    assertThat(response.statusCode()).isEqualTo(200);
    int items = response.bodyAsJsonObject().getJsonArray("result").size();
    assertThat(items).isGreaterThan(200_000);
    assertThat(gateway.journal().total() - before).isEqualTo(items);
  }

  @Test
  void oneByteOverTheCapIsRefusedAndTheConnectionClosed() {
    long before = gateway.journal().total();

    HttpResponse<Buffer> response = gateway.post("application/json", batchOfSize(CAP + 1));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject()).isEqualTo(TOO_LARGE);
    assertThat(response.getHeader("Connection")).isEqualTo("close");
    assertThat(gateway.journal().total()).isEqualTo(before);
    assertHealthy();
  }

  @Test
  void chunkedBodyOverTheCapIsRefusedWithoutContentLength() {
    RawConnection connection = RawConnection.open();
    NetSocket socket = connection.socket;
    Buffer body = batchOfSize(CAP + 1);

    socket.write(
        "POST "
            + TestGateway.PATH
            + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n");
    for (int offset = 0; offset < body.length(); offset += 64 * 1024) {
      Buffer chunk = body.slice(offset, Math.min(body.length(), offset + 64 * 1024));
      socket.write(Integer.toHexString(chunk.length()) + "\r\n");
      socket.write(chunk);
      socket.write("\r\n");
    }
    socket.write("0\r\n\r\n");

    String text = connection.untilClosed();
    assertThat(text).startsWith("HTTP/1.1 400 Bad Request\r\n");
    assertThat(new JsonObject(text.substring(text.indexOf("\r\n\r\n") + 4))).isEqualTo(TOO_LARGE);
    assertHealthy();
  }

  @Test
  void malformedBodyOverTheCapIsReportedAsTooLarge() {
    Buffer body = batchOfSize(CAP + 10).slice(0, CAP + 5);

    HttpResponse<Buffer> response = gateway.post("application/json", body);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject()).isEqualTo(TOO_LARGE);
  }

  @Test
  void twelveMebibytesWithAFileAreAccepted() {
    byte[] file = new byte[12 * 1024 * 1024];
    Arrays.fill(file, (byte) 'a');
    String payload = java.util.Base64.getEncoder().encodeToString(file);
    String body =
        "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}],"
            + "\"attach\":[{\"name\":\"big.txt\",\"data\":\"data:text/plain;base64,"
            + payload
            + "\"}]}";
    assertThat(body.length()).isGreaterThan(12 * 1024 * 1024);

    HttpResponse<Buffer> response = gateway.post("application/json", Buffer.buffer(body));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getJsonArray("result")).hasSize(1);
  }

  @Test
  void twelveMebibytesWithoutFilesAreRefused() {
    HttpResponse<Buffer> response = gateway.post("application/json", batchOfSize(12 * 1024 * 1024));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject()).isEqualTo(TOO_LARGE);
  }

  @Test
  void declaredLengthOverTheCapIsRefusedBeforeTheBodyIsSent() {
    RawConnection connection = RawConnection.open();
    NetSocket socket = connection.socket;

    socket
        .write(
            "POST "
                + TestGateway.PATH
                + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nContent-Length: 209715200\r\n\r\n")
        .await();

    String text = connection.untilClosed();
    assertThat(text).startsWith("HTTP/1.1 400 Bad Request\r\n").doesNotContain("100 Continue");
    assertThat(new JsonObject(text.substring(text.indexOf("\r\n\r\n") + 4))).isEqualTo(TOO_LARGE);
    assertHealthy();
  }

  @Test
  void expectContinueIsAnsweredOnceTheHeadIsAccepted() {
    NetSocket socket = gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await();
    String body = "{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}]}";
    Buffer answer = Buffer.buffer();
    Promise<Void> continued = Promise.promise();
    Promise<Void> done = Promise.promise();
    socket.handler(
        chunk -> {
          answer.appendBuffer(chunk);
          if (answer.toString().contains("100 Continue")) {
            continued.tryComplete();
          }
          if (answer.toString().contains("Successful operation")) {
            done.tryComplete();
          }
        });

    socket
        .write(
            "POST "
                + TestGateway.PATH
                + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n")
        .await();
    continued.future().await();
    socket.write(body).await();
    done.future().await();
    socket.close().await();

    assertThat(answer.toString()).startsWith("HTTP/1.1 100 Continue\r\n").contains("HTTP/1.1 200");
  }

  @Test
  void bodiesAboveTheOffloadThresholdGiveTheSameAnswer() {
    Buffer body = batchOfSize(1024 * 1024);

    HttpResponse<Buffer> offloaded = gateway.post("application/json", body);
    HttpResponse<Buffer> inline;
    try (TestGateway noOffload = TestGateway.start("limits: {offload_bytes: 100000000}\n")) {
      inline = noOffload.post("application/json", body);
    }

    assertThat(offloaded.statusCode()).isEqualTo(200);
    assertThat(offloaded.bodyAsJsonObject()).isEqualTo(inline.bodyAsJsonObject());
  }

  /** A plain TCP connection to the gateway, for requests no HTTP client would send. */
  private static final class RawConnection {
    final NetSocket socket;
    final Buffer answer = Buffer.buffer();
    final Promise<Void> closed = Promise.promise();

    private RawConnection(NetSocket socket) {
      this.socket = socket;
      socket.handler(answer::appendBuffer);
      socket.closeHandler(v -> closed.complete());
    }

    static RawConnection open() {
      return new RawConnection(
          gateway.vertx.createNetClient().connect(gateway.port(), "127.0.0.1").await());
    }

    /** Everything the gateway sent, once it closed the connection. */
    String untilClosed() {
      closed.future().await();
      return answer.toString();
    }
  }

  private static void assertHealthy() {
    assertThat(gateway.request(HttpMethod.GET, "/health").send().await().statusCode())
        .isEqualTo(200);
    assertThat(
            gateway
                .postJson("{\"token\":\"t\",\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}]}")
                .statusCode())
        .isEqualTo(200);
  }
}
