package dev.triggergate.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * The load test's lowest floor for a Vert.x proxy: Vert.x's HTTP server in front, and the request
 * written by hand to a pooled NetSocket behind, with only the parsing the bench stub's answers need
 * (one read holding a head with {@code Content-Length}, and the body). No checks, no headers, no
 * failure handling; not a proxy for anything but this measurement.
 */
public final class SocketForwarder extends VerticleBase {
  private final int port;
  private final int backendPort;
  private final ArrayDeque<NetSocket> idle = new ArrayDeque<>();
  private NetClient client;

  private SocketForwarder(int port, int backendPort) {
    this.port = port;
    this.backendPort = backendPort;
  }

  /** Listens on 127.0.0.1 at the first argument's port, forwarding to the second's. */
  public static void main(String[] args) {
    BareServer.deployForwarder(args, SocketForwarder::new, "socket forwarder");
  }

  @Override
  public Future<?> start() {
    client = vertx.createNetClient();
    return vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(this::forward)
        .listen();
  }

  private void forward(HttpServerRequest request) {
    request
        .body()
        .compose(body -> socket().map(socket -> exchange(request, socket, body)))
        .onFailure(failure -> request.response().setStatusCode(502).end());
  }

  private Future<NetSocket> socket() {
    NetSocket socket = idle.pollLast();
    return socket != null
        ? Future.succeededFuture(socket)
        : client.connect(backendPort, "127.0.0.1");
  }

  private Void exchange(HttpServerRequest request, NetSocket socket, Buffer body) {
    String head =
        "POST "
            + request.uri()
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\n\r\n";
    Buffer[] answer = {Buffer.buffer()};
    socket.handler(
        chunk -> {
          answer[0].appendBuffer(chunk);
          String text = answer[0].toString(StandardCharsets.ISO_8859_1);
          int end = text.indexOf("\r\n\r\n");
          int length = text.toLowerCase(Locale.ROOT).indexOf("content-length:");
          if (end < 0 || length < 0) {
            return;
          }
          int size =
              Integer.parseInt(text.substring(length + 15, text.indexOf('\r', length)).trim());
          if (answer[0].length() < end + 4 + size) {
            return;
          }
          socket.handler(null);
          idle.addLast(socket);
          request
              .response()
              .setStatusCode(Integer.parseInt(text.substring(9, 12)))
              .putHeader("content-type", "application/json; charset=utf-8")
              .end(answer[0].slice(end + 4, end + 4 + size));
        });
    socket.write(Buffer.buffer(head).appendBuffer(body));
    return null;
  }
}
