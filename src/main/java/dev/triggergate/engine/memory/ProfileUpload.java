package dev.triggergate.engine.memory;

import dev.triggergate.config.ConfigException;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * A profile upload (NDJSON, one profile a line) parsed as its bytes arrive: each line is parsed and
 * indexed the moment its newline does, so an upload holds the set being built and at most one line
 * that has not ended yet, never its raw bytes whole. {@link MemoryEngine#swapIn} puts the finished
 * set in force.
 *
 * <p>Parsing is work for a worker thread, not an event loop. One call at a time: calls may come on
 * different threads when each begins after the last one completed (a chain of Futures does that).
 */
public final class ProfileUpload {
  /** The longest line taken: a profile is a few hundred bytes, and a line is held until it ends. */
  public static final int MAX_LINE_BYTES = 1 << 20;

  private static final byte NEWLINE = '\n';

  final long number;
  final ProfileIndex index;
  // The line begun in an earlier chunk and not ended yet; null when the last chunk ended a line.
  private Buffer partial;
  private int lines;
  boolean finished;

  ProfileUpload(long number, boolean autoProfiles) {
    this.number = number;
    this.index = new ProfileIndex(autoProfiles);
  }

  /**
   * Parses every line this chunk ends, and keeps the rest for the next.
   *
   * @throws ConfigException naming the line that is not a profile, or is longer than {@link
   *     #MAX_LINE_BYTES}
   */
  public void take(Buffer chunk) {
    if (finished) {
      throw new IllegalStateException("the upload is finished");
    }
    // Netty's search for a byte, which looks at eight at a time.
    ByteBuf bytes = ((BufferInternal) chunk).getByteBuf();
    int start = 0;
    int end;
    while ((end = bytes.indexOf(start, chunk.length(), NEWLINE)) >= 0) {
      if (partial == null) {
        // The common case: the whole line is in this chunk, and is parsed where it lies.
        parse(chunk.slice(start, end), end - start);
      } else {
        int length = partial.length() + end - start;
        checkLength(length);
        parse(partial.appendBuffer(chunk, start, end - start), length);
        partial = null;
      }
      start = end + 1;
    }
    if (start < chunk.length()) {
      int length = (partial == null ? 0 : partial.length()) + chunk.length() - start;
      // Checked before the copy: a line with no end in sight never grows past the cap.
      checkLength(length);
      if (partial == null) {
        partial = Buffer.buffer(chunk.length() - start);
      }
      partial.appendBuffer(chunk, start, chunk.length() - start);
    }
  }

  /**
   * Parses the last line, if the upload did not end with a newline; nothing can be taken after.
   *
   * @return how many profiles the set holds
   * @throws ConfigException naming the line, as {@link #take} does
   */
  public int finish() {
    finished = true;
    if (partial != null) {
      parse(partial, partial.length());
      partial = null;
    }
    return index.size();
  }

  private void parse(Buffer line, int length) {
    checkLength(length);
    lines++;
    if (!isBlank(line)) {
      index.add(ProfileFile.line(line, lines));
    }
  }

  /** Refuses the line being read (the one after those counted) when it is too long. */
  private void checkLength(int length) {
    if (length > MAX_LINE_BYTES) {
      throw new ConfigException(
          "line "
              + (lines + 1)
              + ": longer than "
              + MAX_LINE_BYTES
              + " bytes (one profile a line)");
    }
  }

  /** JSON's whitespace (RFC 8259 §2), which a blank line between profiles may hold. */
  private static boolean isBlank(Buffer line) {
    for (int i = 0; i < line.length(); i++) {
      byte b = line.getByte(i);
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }
}
