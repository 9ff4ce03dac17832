package dev.triggergate.engine.upstream;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server standing in for Altcraft: it records every request it receives and answers the
 * way the test tells it to, including the ways a real server fails.
 */
final class StubUpstream implements AutoCloseable {
  /** Altcraft's success envelope for one profile. */
  static final String OK_ENVELOPE =
      "{\"error\":0,\"error_text\":\"Successful operation\","
          + "\"result\":[{\"profile_id\":\"6606e08f10bcdd88297057a7\"}]}";

  /**
   * One request as the stub received it.
   *
   * @param connection the client's port, which tells its connections apart
   */
  record Received(
      String method,
      String uri,
      HttpVersion version,
      MultiMap headers,
      Buffer body,
      int connection) {}

  /** How the stub answers a request, once its body is in. */
  @FunctionalInterface
  interface Answer {
    void answer(HttpServerRequest request, Buffer body);
  }

  private final Vertx vertx;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile Answer answer = (request, body) -> ok(request);
  private final AtomicInteger closedConnections = new AtomicInteger();
  private volatile Promise<Void> nextClose = Promise.promise();
  private final AutoCloseable server;
  private final int port;

  private StubUpstream(Vertx vertx, AutoCloseable server, int port) {
    this.vertx = vertx;
    this.server = server;
    this.port = port;
  }

  /** An HTTP server on a free loopback port (HTTP/1.1, and HTTP/2 with prior knowledge). */
  static StubUpstream start(Vertx vertx) {
    return start(vertx, new HttpServerOptions().setHost("127.0.0.1").setPort(0));
  }

  /** An HTTP server with these options (port 0 for a free one). */
  static StubUpstream start(Vertx vertx, HttpServerOptions options) {
    StubUpstream[] stub = new StubUpstream[1];
    HttpServer server =
        vertx
            .createHttpServer(options)
            .requestHandler(request -> stub[0].receive(request))
            .connectionHandler(
                connection -> connection.closeHandler(closed -> stub[0].connectionClosed()))
            .listen()
            .await();
    stub[0] = new StubUpstream(vertx, () -> server.close().await(), server.actualPort());
    return stub[0];
  }

  /** A TCP server that answers every connection with these bytes, then closes it. */
  static StubUpstream raw(Vertx vertx, String bytes) {
    NetServer server =
        vertx
            .createNetServer()
            .connectHandler(socket -> socket.handler(in -> socket.end(Buffer.buffer(bytes))))
            .listen(0, "127.0.0.1")
            .await();
    return new StubUpstream(vertx, () -> server.close().await(), server.actualPort());
  }

  /** A loopback port nothing listens on: connecting to it is refused. */
  static int deadPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  List<Received> received() {
    return received;
  }

  void answer(Answer next) {
    this.answer = next;
  }

  /** Answers with this status, headers and body. */
  void answer(int status, MultiMap headers, String body) {
    answer(
        (request, in) -> {
          request.response().setStatusCode(status).headers().addAll(headers);
          request.response().end(body);
        });
  }

  /**
   * Answers after {@code delayMs}, on a timer; the returned future completes once the late answer
   * was attempted, so a test can look at what happened afterwards without sleeping.
   */
  Future<Void> answerLate(long delayMs) {
    Promise<Void> answered = Promise.promise();
    answer(
        (request, in) ->
            vertx.setTimer(
                delayMs,
                fired -> {
                  ok(request);
                  answered.tryComplete();
                }));
    return answered.future();
  }

  private void receive(HttpServerRequest request) {
    request
        .body()
        .onSuccess(
            body -> {
              received.add(
                  new Received(
                      request.method().name(),
                      request.uri(),
                      request.version(),
                      HttpHeaders.headers().addAll(request.headers()),
                      body,
                      request.remoteAddress().port()));
              answer.answer(request, body);
            });
  }

  /** Completes when the next connection to the stub closes, from either side. */
  Future<Void> nextConnectionClose() {
    return nextClose.future();
  }

  int closedConnections() {
    return closedConnections.get();
  }

  private void connectionClosed() {
    closedConnections.incrementAndGet();
    Promise<Void> closed = nextClose;
    nextClose = Promise.promise();
    closed.complete();
  }

  static void ok(HttpServerRequest request) {
    if (request.response().closed()) {
      return;
    }
    request
        .response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end(OK_ENVELOPE);
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
