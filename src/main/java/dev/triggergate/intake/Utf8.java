package dev.triggergate.intake;

import dev.triggergate.api.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 (RFC 3629) for request bodies, by the JDK's decoder: overlong forms, encoded
 * surrogates and code points above U+10FFFF are refused, where a lenient parser would pass them on
 * for the next one to read its own way.
 */
final class Utf8 {
  private static final int CHARS_PER_STEP = 8192;
  private static final ThreadLocal<CharBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> CharBuffer.allocate(CHARS_PER_STEP));

  /** What a scan saw besides validity. */
  record Scan(boolean hasEscapes) {}

  private Utf8() {}

  /**
   * Checks the readable bytes.
   *
   * @throws ApiError 400 when they are not UTF-8
   */
  static Scan check(ByteBuf bytes) {
    // Bodies are read whole into heap buffers: the scan runs on the array itself.
    byte[] array = bytes.hasArray() ? bytes.array() : ByteBufUtil.getBytes(bytes);
    int from = bytes.hasArray() ? bytes.arrayOffset() + bytes.readerIndex() : 0;
    int to = from + bytes.readableBytes();
    int firstNonAscii = -1;
    boolean escapes = false;
    for (int i = from; i < to; i++) {
      byte b = array[i];
      if (b < 0 && firstNonAscii < 0) {
        firstNonAscii = i;
      } else if (b == '\\') {
        escapes = true;
      }
    }
    if (firstNonAscii >= 0) {
      // Everything before was ASCII, so the decoder starts on a character's first byte.
      decode(ByteBuffer.wrap(array, firstNonAscii, to - firstNonAscii), firstNonAscii - from);
    }
    return new Scan(escapes);
  }

  /** Decodes to nowhere; {@code skipped} bytes came before {@code in}, for the error's position. */
  private static void decode(ByteBuffer in, int skipped) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer out = SCRATCH.get();
    int start = in.position() - skipped;
    while (true) {
      out.clear();
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        throw invalid(in.position() - start);
      }
      if (result.isUnderflow()) {
        out.clear();
        if (decoder.flush(out).isError()) {
          throw invalid(in.position() - start);
        }
        return;
      }
    }
  }

  private static ApiError invalid(int position) {
    return ApiError.invalid("the body is not valid UTF-8 (near byte " + position + ")");
  }
}
