package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * HTTP/1.1 to the upstream written straight to pooled TCP (or TLS) connections: one request is one
 * write of head and body, one answer is parsed as it arrives. Vert.x's {@code HttpClient} does the
 * same with a request object, a response object, a stream, timers and several futures per exchange:
 * about 16 µs more CPU per forwarded batch than writing the bytes by hand (BENCHMARKS.md). Each
 * event loop keeps its own pools, so a request and its connection always share a thread.
 */
final class Http1Client implements UpstreamClient {
  /** Bodies up to this size go out in one write with the head; larger ones are not copied. */
  private static final int COPIED_BODY_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final Upstream config;
  private final NetClient client;

  Http1Client(Vertx vertx, Upstream config, TrustOptions trust) {
    this.vertx = vertx;
    this.config = config;
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
  public Future<Relayed> send(UpstreamHost host, StartBatch batch) {
    Buffer head = head(host, batch);
    Buffer body = batch.body();
    Buffer[] request =
        body.length() <= COPIED_BODY_BYTES
            ? new Buffer[] {head.appendBuffer(body)}
            : new Buffer[] {head, body};
    return pool(host).acquire().compose(connection -> connection.send(request));
  }

  /**
   * The request's head as it goes on the wire (RFC 9112 §3); the body follows, framed by its
   * length.
   */
  private static Buffer head(UpstreamHost host, StartBatch batch) {
    Buffer body = batch.body();
    StringBuilder head = new StringBuilder(512);
    head.append("POST ")
        .append(host.uri(batch.origin().uri()))
        .append(" HTTP/1.1\r\nHost: ")
        .append(host.authority())
        .append("\r\n");
    ForwardedHeaders.toUpstream(
        batch.origin(),
        batch.requestId(),
        (name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("Content-Length: ").append(body.length()).append("\r\n\r\n");
    // Header bytes arrived as ISO-8859-1 characters, one per byte: they leave as the same bytes.
    byte[] bytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    int room = body.length() <= COPIED_BODY_BYTES ? body.length() : 0;
    return Buffer.buffer(bytes.length + room).appendBytes(bytes);
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
              config.poolSize(),
              config.connectTimeoutMs(),
              config.poolIdleTimeoutMs(),
              config.responseTimeoutMs(),
              config.bufferAnswerBytes());
      pools.put(host, pool);
    }
    return pool;
  }
}
