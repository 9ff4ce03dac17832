package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * HTTP/2 to the upstream through Vert.x's {@code HttpClient} (ALPN over https, prior knowledge over
 * http): multiplexed streams are not worth writing by hand. Each event loop keeps its own client,
 * so a request and its connection always share a thread.
 */
final class Http2Client implements UpstreamClient {
  private final Vertx vertx;
  private final Upstream config;
  private final HttpClientOptions options;
  private final PoolOptions poolOptions;

  Http2Client(Vertx vertx, Upstream config, TrustOptions trust) {
    this.vertx = vertx;
    this.config = config;
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
  public Future<Relayed> send(UpstreamHost host, StartBatch batch) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(host.host())
            .setPort(host.port())
            .setSsl(host.ssl())
            .setURI(host.uri(batch.origin().uri()))
            .setHeaders(headers(batch))
            .setConnectTimeout(config.connectTimeoutMs())
            .setIdleTimeout(config.responseTimeoutMs());
    return client()
        .request(request)
        .recover(failure -> Future.failedFuture(Outcome.CONNECT_FAILED.failure(failure)))
        .compose(
            sent ->
                sent.send(batch.body())
                    .compose(this::read)
                    .recover(failure -> Future.failedFuture(classify(failure).failure(failure))));
  }

  private static MultiMap headers(StartBatch batch) {
    MultiMap headers = HttpHeaders.headers();
    ForwardedHeaders.toUpstream(batch.origin(), batch.requestId(), headers::add);
    return headers;
  }

  /** Reads the answer whole up to the buffer size; a longer one goes on with its rest paused. */
  private Future<Relayed> read(HttpClientResponse response) {
    Promise<Relayed> read = Promise.promise();
    Buffer head = Buffer.buffer();
    response.handler(
        chunk -> {
          head.appendBuffer(chunk);
          if (head.length() > config.bufferAnswerBytes()) {
            response.pause();
            response.handler(null);
            response.endHandler(null);
            response.exceptionHandler(null);
            read.tryComplete(relayed(response, head, true));
          }
        });
    response.endHandler(end -> read.tryComplete(relayed(response, head, false)));
    response.exceptionHandler(read::tryFail);
    return read.future();
  }

  private static Relayed relayed(HttpClientResponse response, Buffer head, boolean more) {
    return new Relayed(
        response.statusCode(),
        ForwardedHeaders.fromUpstream(response.headers()),
        head,
        more ? response : null);
  }

  private static Outcome classify(Throwable failure) {
    if (failure instanceof TimeoutException) {
      return Outcome.TIMEOUT;
    }
    if (failure instanceof HttpClosedException || failure instanceof IOException) {
      return Outcome.CLOSED;
    }
    return Outcome.NOT_HTTP;
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
