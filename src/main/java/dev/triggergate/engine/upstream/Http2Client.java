package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.engine.StartBatch;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * HTTP/2 to the upstream through Vert.x's {@code HttpClient} (ALPN over https, prior knowledge over
 * http): multiplexed streams are not worth writing by hand. Each event loop keeps its own client,
 * so a request and its connection always share a thread. The exchange's deadlines and buffering are
 * the same {@link Exchange} as over HTTP/1.1.
 */
final class Http2Client implements UpstreamClient {
  private final Vertx vertx;
  private final Upstream config;
  private final Exchange.Limits limits;
  private final HttpClientOptions options;
  private final PoolOptions poolOptions;

  Http2Client(Vertx vertx, Upstream config, TrustOptions trust) {
    this.vertx = vertx;
    this.config = config;
    this.limits = Exchange.Limits.of(config);
    int idleSeconds = (int) Math.max(1, config.poolIdleTimeoutMs() / 1000);
    this.options =
        new HttpClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()))
            .setProtocolVersion(HttpVersion.HTTP_2)
            .setUseAlpn(true)
            .setHttp2ClearTextUpgrade(false)
            // Whole seconds, rounded down: the pool must let go of a connection before the
            // upstream does, or a request may be written to a socket that is being closed.
            .setKeepAliveTimeout(idleSeconds)
            .setHttp2KeepAliveTimeout(idleSeconds)
            .setVerifyHost(true);
    if (trust != null) {
      options.setTrustOptions(trust);
    }
    this.poolOptions =
        new PoolOptions().setHttp1MaxSize(config.poolSize()).setHttp2MaxSize(config.poolSize());
  }

  @Override
  public Exchange send(UpstreamHost host, StartBatch batch) {
    Exchange exchange = new Exchange(host, limits);
    MultiMap headers;
    try {
      headers = headers(batch);
    } catch (RuntimeException bug) {
      exchange.fail(Outcome.GATEWAY_ERROR, bug);
      return exchange;
    }
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(host.host())
            .setPort(host.port())
            .setSsl(host.ssl())
            .setURI(host.uri(batch.origin().uri()))
            .setHeaders(headers)
            // Vert.x counts the wait for a stream of a pooled connection in it too.
            .setConnectTimeout(config.connectTimeoutMs() + config.poolWaitTimeoutMs());
    client()
        .request(request)
        .onComplete(
            opened -> {
              if (opened.failed()) {
                exchange.fail(connectOutcome(opened.cause()), opened.cause());
              } else {
                send(exchange, opened.result(), batch);
              }
            });
    return exchange;
  }

  private void send(Exchange exchange, HttpClientRequest request, StartBatch batch) {
    StreamWire wire = new StreamWire(request);
    request.exceptionHandler(failure -> failed(exchange, failure));
    request
        .response()
        .onFailure(failure -> failed(exchange, failure))
        .onSuccess(
            response -> {
              wire.response = response;
              response.exceptionHandler(failure -> failed(exchange, failure));
              exchange.head(
                  response.statusCode(),
                  ForwardedHeaders.dropFraming(HttpHeaders.headers().addAll(response.headers())));
              response.handler(exchange::content);
              response.endHandler(end -> exchange.end());
            });
    exchange.sent(wire, ExchangeClock.of(vertx, limits));
    request.end(batch.body());
  }

  private static MultiMap headers(StartBatch batch) {
    MultiMap headers = HttpHeaders.headers();
    ForwardedHeaders.toUpstream(batch.origin(), batch.requestId(), headers::add);
    return headers;
  }

  private static Outcome connectOutcome(Throwable failure) {
    if (failure instanceof ConnectTimeoutException) {
      return Outcome.CONNECT_TIMEOUT;
    }
    if (failure instanceof TimeoutException) {
      // The request's own timeout, past the connect timeout: it waited for a stream of a busy
      // connection, the gateway's load and not the host's fault.
      return Outcome.POOL_WAIT;
    }
    return failure instanceof ConnectException ? Outcome.CONNECT_REFUSED : Outcome.CONNECT_FAILED;
  }

  private static void failed(Exchange exchange, Throwable failure) {
    if (failure instanceof StreamResetException
        || failure instanceof HttpClosedException
        || failure instanceof IOException) {
      exchange.closed(failure);
    } else {
      exchange.fail(Outcome.MALFORMED, failure);
    }
  }

  /** The exchange's hold on one HTTP/2 stream. */
  private static final class StreamWire implements Exchange.Wire {
    private final HttpClientRequest request;
    private HttpClientResponse response;

    StreamWire(HttpClientRequest request) {
      this.request = request;
    }

    @Override
    public void pause() {
      if (response != null) {
        response.pause();
      }
    }

    @Override
    public void resume() {
      if (response != null) {
        response.resume();
      }
    }

    @Override
    public void abort() {
      request.reset();
    }
  }

  private HttpClient client() {
    Context context = vertx.getOrCreateContext();
    HttpClient client = context.get(this);
    if (client == null) {
      client =
          vertx
              .httpClientBuilder()
              .with(options)
              .with(poolOptions)
              // A broken connection fails its request, which records and answers it; without a
              // handler Vert.x would also log each one at ERROR.
              .withConnectHandler(connection -> connection.exceptionHandler(failure -> {}))
              .build();
      context.put(this, client);
    }
    return client;
  }
}
