package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.engine.StartBatch;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import java.util.HashMap;
import java.util.Map;

/**
 * HTTP/1.1 to the upstream over pooled TCP (or TLS) connections, each framed by Netty's HTTP codec.
 * Vert.x's {@code HttpClient} runs the same codec, and adds a request object, a response object, a
 * stream and several futures per exchange: measurably more CPU per forwarded batch (BENCHMARKS.md).
 * Each event loop keeps its own pools, so a request and its connection always share a thread.
 */
final class Http1Client implements UpstreamClient {
  private final Vertx vertx;
  private final Upstream config;
  private final Exchange.Limits limits;
  private final NetClient client;

  Http1Client(Vertx vertx, Upstream config, TrustOptions trust) {
    this.vertx = vertx;
    this.config = config;
    this.limits = Exchange.Limits.of(config);
    NetClientOptions options =
        new NetClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()))
            .setTcpNoDelay(true)
            .setHostnameVerificationAlgorithm("HTTPS");
    if (trust != null) {
      options.setTrustOptions(trust);
    }
    this.client = vertx.createNetClient(options);
  }

  @Override
  public Exchange send(UpstreamHost host, StartBatch batch) {
    Exchange exchange = new Exchange(host, limits);
    FullHttpRequest request;
    try {
      request = request(host, batch);
    } catch (RuntimeException bug) {
      exchange.fail(Outcome.GATEWAY_ERROR, bug);
      return exchange;
    }
    pool(host)
        .acquire()
        .onComplete(
            acquired -> {
              if (acquired.succeeded()) {
                acquired.result().send(exchange, request);
              } else {
                Outcome.UpstreamFailure failure = (Outcome.UpstreamFailure) acquired.cause();
                exchange.fail(failure.outcome(), failure.getCause());
              }
            });
    return exchange;
  }

  /** The request as the codec writes it (RFC 9112 §3): the body goes whole, with its length. */
  private static FullHttpRequest request(UpstreamHost host, StartBatch batch) {
    Buffer body = batch.body();
    // Checked again on the way out (RFC 9110 §5.5 field-content, no CR or LF at all): a value
    // that could end or fold a header line never leaves.
    HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
    headers.add(HttpHeaderNames.HOST, host.authority());
    ForwardedHeaders.toUpstream(batch.origin(), batch.requestId(), headers::add);
    headers.add(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length()));
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1,
        HttpMethod.POST,
        host.uri(batch.origin().uri()),
        ((BufferInternal) body).getByteBuf(),
        headers,
        EmptyHttpHeaders.INSTANCE);
  }

  /** This event loop's pool for the host. */
  private Http1Pool pool(UpstreamHost host) {
    Context context = vertx.getOrCreateContext();
    Map<UpstreamHost, Http1Pool> pools = context.get(this);
    if (pools == null) {
      pools = new HashMap<>();
      context.put(this, pools);
    }
    Http1Pool pool = pools.get(host);
    if (pool == null) {
      pool =
          new Http1Pool(
              vertx,
              client,
              new ConnectOptions()
                  .setHost(host.host())
                  .setPort(host.port())
                  .setSsl(host.ssl())
                  .setSniServerName(host.ssl() ? host.host() : null),
              config,
              ExchangeClock.of(vertx, limits));
      pools.put(host, pool);
    }
    return pool;
  }
}
