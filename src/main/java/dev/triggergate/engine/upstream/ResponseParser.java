package dev.triggergate.engine.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Reads HTTP/1.1 answers from the bytes of one upstream connection (RFC 9112), one answer per
 * request sent, and tells a {@link Listener} about each: its head, its body in parts, its end.
 * Interim 1xx answers are skipped. Anything that cannot be framed safely (no status line, a folded
 * or nameless header, disagreeing lengths, a bad chunk size) is {@link NotHttp}: the connection is
 * then useless and must be closed.
 */
final class ResponseParser {
  /** The most a status line and headers may take together. */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  private static final int MAX_CHUNK_LINE = 4096;

  /** What the parser found. Called on the connection's event loop, in order. */
  interface Listener {
    /** The final head; the header map is the listener's from then on, to change as it likes. */
    void head(int status, MultiMap headers);

    /** A part of the body; a slice of the bytes read, not copied. */
    void body(Buffer part);

    /** The answer is complete; {@code reusable} when the connection may carry another request. */
    void end(boolean reusable);
  }

  /** The bytes are not an HTTP/1.x answer that can be framed. */
  static final class NotHttp extends Exception {
    NotHttp(String message) {
      super(message, null, false, false);
    }
  }

  private enum State {
    HEAD,
    LENGTH,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_END,
    TRAILERS,
    UNTIL_CLOSE,
    DONE
  }

  private final Listener listener;
  private State state = State.DONE;
  private byte[] head;
  private int headLength;
  private int lineStart;
  private int scanned;
  private long remaining;
  private boolean reusable;
  private final StringBuilder line = new StringBuilder();

  ResponseParser(Listener listener) {
    this.listener = listener;
  }

  /** Expects the answer to a request just sent. */
  void expectAnswer() {
    state = State.HEAD;
    head = null;
    headLength = 0;
    lineStart = 0;
    scanned = 0;
  }

  /**
   * Reads bytes from the connection. Bytes while no answer is expected cannot belong to any
   * request; bytes after the end of the expected answer end the connection's reuse.
   */
  void read(Buffer bytes) throws NotHttp {
    if (state == State.DONE) {
      throw new NotHttp("bytes while no answer was expected");
    }
    int at = 0;
    int length = bytes.length();
    while (at < length && state != State.DONE) {
      switch (state) {
        case HEAD -> at = readHead(bytes, at);
        case LENGTH -> at = readLength(bytes, at);
        case CHUNK_SIZE, CHUNK_END, TRAILERS -> at = readLine(bytes, at);
        case CHUNK_DATA -> at = readChunk(bytes, at);
        default -> {
          listener.body(at == 0 ? bytes : bytes.slice(at, length));
          at = length;
        }
      }
    }
    if (state == State.DONE) {
      listener.end(reusable && at == length);
    }
  }

  /**
   * The upstream closed the connection. True when that ended an answer framed by the close; false
   * when an answer was cut short (or none was expected).
   */
  boolean closed() {
    if (state == State.UNTIL_CLOSE) {
      state = State.DONE;
      listener.end(false);
      return true;
    }
    return false;
  }

  /** Gathers the head's bytes (into an array: scanning a Buffer byte by byte costs more). */
  private int readHead(Buffer bytes, int from) throws NotHttp {
    int base = headLength;
    byte[] data;
    if (base == 0) {
      data = bytes.getBytes(from, bytes.length());
    } else {
      data = Arrays.copyOf(head, base + bytes.length() - from);
      bytes.getBytes(from, bytes.length(), data, base);
    }
    int end = endOfHead(data);
    if (end < 0) {
      if (data.length > MAX_HEAD_BYTES) {
        throw new NotHttp("the answer's head is longer than " + MAX_HEAD_BYTES + " bytes");
      }
      head = data;
      headLength = data.length;
      return bytes.length();
    }
    head = null;
    headLength = 0;
    lineStart = 0;
    scanned = 0;
    parseHead(new String(data, 0, end, StandardCharsets.ISO_8859_1));
    return from + end - base;
  }

  /**
   * The index just past the empty line that ends the head, or -1; scanning resumes across reads.
   */
  private int endOfHead(byte[] data) {
    for (int i = scanned; i < data.length; i++) {
      if (data[i] == '\n') {
        int lineLength = i - lineStart;
        if (lineLength == 0 || (lineLength == 1 && data[lineStart] == '\r')) {
          return i + 1;
        }
        lineStart = i + 1;
      }
    }
    scanned = data.length;
    return -1;
  }

  private void parseHead(String text) throws NotHttp {
    int end = text.indexOf('\n');
    int lineEnd = end > 0 && text.charAt(end - 1) == '\r' ? end - 1 : end;
    if (!text.startsWith("HTTP/1.")
        || lineEnd < 12
        || text.charAt(8) != ' '
        || (lineEnd > 12 && text.charAt(12) != ' ')) {
      throw new NotHttp("no HTTP/1.x status line");
    }
    char minor = text.charAt(7);
    int status = statusCode(text);
    MultiMap headers = HttpHeaders.headers();
    for (int start = end + 1; start < text.length(); start = end + 1) {
      end = text.indexOf('\n', start);
      int stop = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
      if (stop == start) {
        break;
      }
      int colon = text.indexOf(':', start);
      if (colon <= start || colon > stop || !isToken(text, start, colon)) {
        // Also a folded line (obs-fold), which RFC 9112 §5.2 lets a recipient refuse.
        throw new NotHttp("a header line that is not name: value");
      }
      int value = colon + 1;
      while (value < stop && isBlank(text.charAt(value))) {
        value++;
      }
      int valueEnd = stop;
      while (valueEnd > value && isBlank(text.charAt(valueEnd - 1))) {
        valueEnd--;
      }
      headers.add(text.substring(start, colon), text.substring(value, valueEnd));
    }
    if (status == 101) {
      throw new NotHttp("an upgrade that was not asked for");
    }
    if (status < 200) {
      expectAnswer();
      return;
    }
    reusable =
        minor == '1'
            && (!headers.contains(HttpHeaders.CONNECTION)
                || !hasToken(headers.getAll(HttpHeaders.CONNECTION), "close"));
    // Framed first: the listener may take the hop-by-hop fields, Transfer-Encoding among them.
    frame(status, headers);
    listener.head(status, headers);
  }

  /** How the body is delimited (RFC 9112 §6.3). */
  private void frame(int status, MultiMap headers) throws NotHttp {
    List<String> codings = headers.getAll(HttpHeaders.TRANSFER_ENCODING);
    if (status == 204 || status == 304) {
      finish();
    } else if (!codings.isEmpty()) {
      // With a length beside it the framing is ambiguous (request smuggling): never reuse it.
      reusable &= !headers.contains(HttpHeaders.CONTENT_LENGTH);
      if (lastCodingIsChunked(codings)) {
        state = State.CHUNK_SIZE;
        line.setLength(0);
      } else {
        reusable = false;
        state = State.UNTIL_CLOSE;
      }
    } else if (headers.contains(HttpHeaders.CONTENT_LENGTH)) {
      remaining = contentLength(headers.getAll(HttpHeaders.CONTENT_LENGTH));
      if (remaining == 0) {
        finish();
      } else {
        state = State.LENGTH;
      }
    } else {
      reusable = false;
      state = State.UNTIL_CLOSE;
    }
  }

  private int readLength(Buffer bytes, int from) {
    int take = (int) Math.min(remaining, bytes.length() - from);
    listener.body(from == 0 && take == bytes.length() ? bytes : bytes.slice(from, from + take));
    remaining -= take;
    if (remaining == 0) {
      finish();
    }
    return from + take;
  }

  private int readChunk(Buffer bytes, int from) {
    int take = (int) Math.min(remaining, bytes.length() - from);
    listener.body(bytes.slice(from, from + take));
    remaining -= take;
    if (remaining == 0) {
      state = State.CHUNK_END;
      line.setLength(0);
    }
    return from + take;
  }

  /** Reads up to a line's end, then acts on the line: a chunk size, a chunk's CRLF, a trailer. */
  private int readLine(Buffer bytes, int from) throws NotHttp {
    int i = from;
    while (i < bytes.length()) {
      byte b = bytes.getByte(i++);
      if (b == '\n') {
        endOfLine();
        return i;
      }
      if (b != '\r') {
        if (line.length() >= MAX_CHUNK_LINE) {
          throw new NotHttp("a chunk line longer than " + MAX_CHUNK_LINE + " bytes");
        }
        line.append((char) (b & 0xff));
      }
    }
    return i;
  }

  private void endOfLine() throws NotHttp {
    switch (state) {
      case CHUNK_SIZE -> {
        remaining = chunkSize(line);
        state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
      }
      case CHUNK_END -> {
        if (line.length() != 0) {
          throw new NotHttp("a chunk longer than its size");
        }
        state = State.CHUNK_SIZE;
      }
      case TRAILERS -> {
        // Trailer fields are not relayed: the answer to the client is framed by the gateway.
        if (line.length() == 0) {
          finish();
        }
      }
      default -> throw new IllegalStateException(state.name());
    }
    line.setLength(0);
  }

  private void finish() {
    state = State.DONE;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private static int statusCode(String statusLine) throws NotHttp {
    int code = 0;
    for (int i = 9; i < 12; i++) {
      char c = statusLine.charAt(i);
      if (c < '0' || c > '9') {
        throw new NotHttp("no HTTP/1.x status line");
      }
      code = code * 10 + (c - '0');
    }
    if (code < 100) {
      throw new NotHttp("a status code below 100");
    }
    return code;
  }

  /** RFC 9110 §8.6: one value, or a list of identical ones; anything else cannot be framed. */
  private static long contentLength(List<String> values) throws NotHttp {
    if (values.size() == 1 && values.get(0).indexOf(',') < 0) {
      long length = digits(values.get(0));
      if (length < 0) {
        throw new NotHttp("an invalid or ambiguous Content-Length");
      }
      return length;
    }
    long length = -1;
    for (String value : values) {
      for (String part : value.split(",", -1)) {
        long each = digits(part.strip());
        if (each < 0 || (length >= 0 && each != length)) {
          throw new NotHttp("an invalid or ambiguous Content-Length");
        }
        length = each;
      }
    }
    return length;
  }

  private static long digits(String text) {
    if (text.isEmpty() || text.length() > 18) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static long chunkSize(CharSequence line) throws NotHttp {
    long size = 0;
    int digits = 0;
    for (int i = 0; i < line.length(); i++) {
      int value = Character.digit(line.charAt(i), 16);
      if (value < 0) {
        char c = line.charAt(i);
        if (c == ';' || c == ' ' || c == '\t') {
          break;
        }
        throw new NotHttp("an invalid chunk size");
      }
      if (++digits > 15) {
        throw new NotHttp("an invalid chunk size");
      }
      size = size * 16 + value;
    }
    if (digits == 0) {
      throw new NotHttp("an invalid chunk size");
    }
    return size;
  }

  private static boolean lastCodingIsChunked(List<String> codings) {
    String last = codings.get(codings.size() - 1);
    int comma = last.lastIndexOf(',');
    return last.substring(comma + 1).strip().equalsIgnoreCase("chunked");
  }

  private static boolean hasToken(List<String> values, String token) {
    for (String value : values) {
      for (String part : value.split(",")) {
        if (part.strip().equalsIgnoreCase(token)) {
          return true;
        }
      }
    }
    return false;
  }

  /** RFC 9110 §5.6.2 token characters. */
  private static boolean isToken(String text, int start, int end) {
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
