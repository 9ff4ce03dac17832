package dev.triggergate.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The load test's forwarding baseline: the least a Vert.x proxy does (read the body, send it with a
 * pooled {@code HttpClient} per event loop, relay status, type and body) with no checks at all, so
 * the gateway's own cost in upstream mode shows as the ratio between the two.
 */
public final class PlainForwarder extends VerticleBase {
  private final int port;
  private final int backendPort;
  private HttpClient client;

  private PlainForwarder(int port, int backendPort) {
    this.port = port;
    this.backendPort = backendPort;
  }

  /** Listens on 127.0.0.1 at the first argument's port, forwarding to the second's. */
  public static void main(String[] args) {
    BareServer.deployForwarder(args, PlainForwarder::new, "plain forwarder");
  }

  @Override
  public Future<?> start() {
    client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(64));
    return vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(this::forward)
        .listen();
  }

  private void forward(HttpServerRequest request) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost("127.0.0.1")
            .setPort(backendPort)
            .setURI(request.uri())
            .putHeader("content-type", request.getHeader("content-type"));
    request
        .body()
        .compose(body -> client.request(options).compose(upstream -> upstream.send(body)))
        .compose(response -> response.body().map(body -> relay(request, response, body)))
        .onFailure(failure -> request.response().setStatusCode(502).end());
  }

  private static Void relay(HttpServerRequest request, HttpClientResponse response, Buffer body) {
    request
        .response()
        .setStatusCode(response.statusCode())
        .putHeader("content-type", response.getHeader("content-type"))
        .end(body);
    return null;
  }
}
