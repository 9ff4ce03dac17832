package dev.triggergate.engine.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Reading one typical Altcraft answer (status, five headers, a one-profile envelope) with the
 * upstream engine's parser, against Netty's HTTP decoder (what Vert.x's HttpClient runs) on the
 * same bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ResponseParserBench {
  private static final String ANSWER =
      "HTTP/1.1 200 OK\r\n"
          + "Server: nginx\r\n"
          + "Date: Fri, 27 Nov 2026 20:00:00 GMT\r\n"
          + "Content-Type: application/json; charset=utf-8\r\n"
          + "Content-Length: 95\r\n"
          + "Connection: keep-alive\r\n"
          + "\r\n"
          + "{\"error\":0,\"error_text\":\"Successful operation\","
          + "\"result\":[{\"profile_id\":\"6606e08f10bcdd88297057a7\"}]}";

  private byte[] bytes;
  private Buffer buffer;
  private ResponseParser parser;
  private EmbeddedChannel netty;
  private Blackhole blackhole;

  @Setup
  public void setUp(Blackhole blackhole) {
    this.blackhole = blackhole;
    bytes = ANSWER.getBytes(StandardCharsets.ISO_8859_1);
    buffer = Buffer.buffer(bytes);
    parser =
        new ResponseParser(
            new ResponseParser.Listener() {
              @Override
              public void head(int status, MultiMap headers) {
                blackhole.consume(headers);
              }

              @Override
              public void body(Buffer part) {
                blackhole.consume(part);
              }

              @Override
              public void end(boolean reusable) {
                blackhole.consume(reusable);
              }
            });
    netty = new EmbeddedChannel(new HttpResponseDecoder());
  }

  @Benchmark
  public void parser() throws ResponseParser.NotHttp {
    parser.expectAnswer();
    parser.read(buffer);
  }

  @Benchmark
  public void nettyDecoder() {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    netty.writeInbound(in);
    Object message;
    while ((message = netty.readInbound()) != null) {
      blackhole.consume(message);
      ReferenceCountUtil.release(message);
    }
  }
}
