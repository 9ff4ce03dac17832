package dev.triggergate.engine.upstream;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import java.util.List;

/**
 * One keep-alive HTTP/1.1 connection to an upstream host, carrying one exchange at a time. Netty's
 * {@link HttpClientCodec} frames the request and parses the answer (RFC 9112: message framing,
 * chunked coding, header syntax, a {@code Content-Length} beside {@code Transfer-Encoding}
 * dropped); this class only decides what the decoded answer means for the exchange, and hands the
 * connection back to its {@link Http1Pool} when the answer is complete and it may carry another.
 * Everything runs on the event loop that opened it.
 */
final class Http1Connection implements Exchange.Wire {
  /** Answer headers go straight into Vert.x's map, validated as Netty's own would be. */
  private static final HttpHeadersFactory VERTX_HEADERS =
      new HttpHeadersFactory() {
        @Override
        public io.netty.handler.codec.http.HttpHeaders newHeaders() {
          return HeadersMultiMap.httpHeaders();
        }

        @Override
        public io.netty.handler.codec.http.HttpHeaders newEmptyHeaders() {
          return HeadersMultiMap.httpHeaders();
        }
      };

  /** Altcraft's heads are a few hundred bytes; Netty's default initial line limit stays. */
  private static final int MAX_ANSWER_HEADER_BYTES = 16 * 1024;

  /**
   * Body parts are copied off the decoder's buffer one by one: fewer, larger ones for a long
   * answer.
   */
  private static final int MAX_PART_BYTES = 64 * 1024;

  private final NetSocketInternal socket;
  private final Http1Pool pool;
  private final ExchangeClock clock;
  private Exchange exchange;
  private boolean usable = true;
  private boolean reusable;

  /** Inside a 1xx interim answer, whose (empty) end is not the exchange's. */
  private boolean interim;

  /** Reading out what Vert.x queued while paused: no pause may stop it. */
  private boolean draining;

  private Throwable failure;
  long idleSinceNanos;

  Http1Connection(NetSocket socket, Http1Pool pool, ExchangeClock clock) {
    this.socket = (NetSocketInternal) socket;
    this.pool = pool;
    this.clock = clock;
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxHeaderSize(MAX_ANSWER_HEADER_BYTES)
            .setMaxChunkSize(MAX_PART_BYTES)
            .setHeadersFactory(VERTX_HEADERS)
            .setTrailersFactory(VERTX_HEADERS);
    ChannelPipeline pipeline = this.socket.channelHandlerContext().pipeline();
    pipeline.addBefore("handler", "codec", new HttpClientCodec(decoder, false, false));
    this.socket.messageHandler(this::read);
    this.socket.exceptionHandler(cause -> failure = cause);
    this.socket.closeHandler(closed -> closed());
  }

  /** Writes a whole request for {@code sent}, whose answer is read on this connection. */
  void send(Exchange sent, HttpRequest request) {
    exchange = sent;
    reusable = true;
    interim = false;
    if (sent.sent(this, clock)) {
      socket.writeMessage(request);
    }
  }

  boolean usable() {
    return usable;
  }

  void close() {
    usable = false;
    socket.close();
  }

  @Override
  public void pause() {
    if (!draining) {
      socket.pause();
    }
  }

  @Override
  public void resume() {
    socket.resume();
  }

  @Override
  public void abort() {
    exchange = null;
    close();
    drain();
  }

  /**
   * Hands on what Vert.x queued while reading was paused: decoded parts wait there, holding pooled
   * buffers, and a close does not wait for them. With no exchange they are released; with one, they
   * may complete it.
   */
  private void drain() {
    draining = true;
    socket.resume();
  }

  private void read(Object message) {
    try {
      if (exchange == null) {
        // Bytes nobody asked for: whatever follows on this connection cannot be trusted.
        close();
      } else if (message instanceof HttpResponse response) {
        head(response);
      } else if (message instanceof HttpContent content) {
        content(content);
      } else {
        fail(Outcome.MALFORMED, null);
      }
    } catch (RuntimeException bug) {
      fail(Outcome.GATEWAY_ERROR, bug);
    } finally {
      ReferenceCountUtil.release(message);
    }
  }

  private void head(HttpResponse response) {
    DecoderResult decoded = response.decoderResult();
    if (decoded.isFailure()) {
      fail(Outcome.MALFORMED, decoded.cause());
      return;
    }
    int status = response.status().code();
    HttpVersion version = response.protocolVersion();
    if (status < 100 || status > 599 || !isHttp1(version)) {
      fail(Outcome.MALFORMED, null);
      return;
    }
    if (status == 101) {
      // An upgrade nobody asked for: what follows is no longer HTTP/1.1.
      fail(Outcome.UNRELAYABLE, null);
      return;
    }
    if (status < 200) {
      interim = true;
      return;
    }
    MultiMap headers = (MultiMap) response.headers();
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (!codings.isEmpty() && !isChunkedAlone(codings)) {
      // The decoder took the chunks off, but under them the body is still coded (gzip, ...):
      // relaying it would hand the client bytes no header describes.
      fail(Outcome.UNRELAYABLE, null);
      return;
    }
    // HTTP/1.1, framed by length or chunks, and kept alive; else it ends when the upstream closes.
    reusable =
        version == HttpVersion.HTTP_1_1
            && HttpUtil.isKeepAlive(response)
            && (!codings.isEmpty()
                || headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                || status == 204
                || status == 304);
    exchange.head(status, ForwardedHeaders.dropFraming(headers));
  }

  private void content(HttpContent content) {
    DecoderResult decoded = content.decoderResult();
    if (decoded.isFailure()) {
      fail(Outcome.MALFORMED, decoded.cause());
      return;
    }
    boolean last = content instanceof LastHttpContent;
    if (interim) {
      interim = !last;
      return;
    }
    if (content.content().isReadable()) {
      exchange.content(BufferInternal.safeBuffer(content.content().retain()));
    }
    if (last && exchange != null) {
      end();
    }
  }

  private void end() {
    Exchange done = exchange;
    exchange = null;
    // The rest may have paused reading; the next exchange must start with it running.
    socket.resume();
    done.end();
    if (reusable && usable) {
      // Only once the decoder is through the bytes of this read: any that follow the answer reach
      // read() with no exchange and close the connection, never becoming the next one's answer.
      pool.afterThisRead(this::released);
    } else {
      close();
    }
  }

  private void released() {
    if (usable && exchange == null) {
      pool.release(this);
    }
  }

  private void closed() {
    usable = false;
    pool.closed(this);
    // The end of the answer may still be queued behind a pause: it comes first.
    drain();
    Exchange broken = exchange;
    exchange = null;
    if (broken != null) {
      broken.closed(failure);
    }
  }

  private void fail(Outcome outcome, Throwable cause) {
    Exchange failed = exchange;
    exchange = null;
    close();
    if (failed != null) {
      failed.fail(outcome, cause);
    }
  }

  private static boolean isHttp1(HttpVersion version) {
    return version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0;
  }

  private static boolean isChunkedAlone(List<String> codings) {
    return codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked");
  }
}
