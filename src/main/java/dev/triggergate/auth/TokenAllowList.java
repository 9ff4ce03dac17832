package dev.triggergate.auth;

import dev.triggergate.api.Sha256;
import dev.triggergate.config.ConfigException;
import dev.triggergate.config.GatewayConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The SHA-256 digests of the tokens the edge lets through (SPEC §6a), and the check of one
 * presented token against them; it holds digests only, never a token.
 */
public final class TokenAllowList {
  /** The configuration key a bad hashes file is reported under. */
  static final String FILE_KEY = "auth.allowed_tokens_file";

  private static final Pattern DIGEST = Pattern.compile("[0-9a-fA-F]{64}");

  /** Allowed digests by their first 8 bytes; a list, as two digests could share that prefix. */
  private final Map<Long, List<byte[]>> digests;

  private TokenAllowList(Map<Long, List<byte[]>> digests) {
    this.digests = digests;
  }

  /**
   * The allow-list the configuration names: its tokens and the digests of its file. Reads the file,
   * so it belongs to start-up, off the event loop.
   *
   * @throws ConfigException naming {@code auth.allowed_tokens_file} and the line that is not a
   *     digest, or the file when it cannot be read
   */
  public static TokenAllowList load(GatewayConfig.Auth auth) {
    Map<Long, List<byte[]>> digests = new HashMap<>();
    for (String token : auth.allowedTokens()) {
      add(digests, digest(token));
    }
    if (auth.allowedTokensFile() != null) {
      readFile(auth.allowedTokensFile(), digests);
    }
    return new TokenAllowList(digests);
  }

  /** Whether nothing is configured, in which case every token passes. */
  public boolean allowsEveryToken() {
    return digests.isEmpty();
  }

  /** Whether the token may pass: always when nothing is configured. */
  public boolean allows(String token) {
    if (digests.isEmpty()) {
      return true;
    }
    byte[] presented = digest(token);
    // The lookup by prefix is not constant time, and need not be: it runs on the digest of what
    // the client sent, not on the token. To learn from its timing an attacker would have to choose
    // the bytes of that digest, which SHA-256's preimage resistance forbids, and all it could ever
    // tell is part of a stored digest, from which no token follows. The comparison that decides is
    // MessageDigest.isEqual over all 32 bytes, which does not stop at the first differing byte.
    List<byte[]> candidates = digests.get(prefix(presented));
    if (candidates == null) {
      return false;
    }
    boolean allowed = false;
    for (byte[] candidate : candidates) {
      allowed |= MessageDigest.isEqual(candidate, presented);
    }
    return allowed;
  }

  private static void readFile(String file, Map<Long, List<byte[]>> digests) {
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(FILE_KEY + ": cannot read \"" + file + "\": " + e.getMessage(), e);
    }
    int found = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (!DIGEST.matcher(line).matches()) {
        // The line itself is not quoted: a malformed line may well be a token pasted by mistake.
        throw new ConfigException(
            FILE_KEY
                + ": line "
                + (i + 1)
                + " of \""
                + file
                + "\": expected a SHA-256 digest of a token, 64 hex digits alone on the line"
                + " (the first field of sha256sum's output)");
      }
      add(digests, HexFormat.of().parseHex(line));
      found++;
    }
    if (found == 0) {
      // A file named means a restricted edge: one emptied by mistake must not open it to all.
      throw new ConfigException(
          FILE_KEY
              + ": \""
              + file
              + "\" holds no digest; list at least one, or remove the key to let every token pass");
    }
  }

  private static void add(Map<Long, List<byte[]>> digests, byte[] digest) {
    digests.computeIfAbsent(prefix(digest), k -> new ArrayList<>(1)).add(digest);
  }

  private static long prefix(byte[] digest) {
    return ByteBuffer.wrap(digest).getLong();
  }

  private static byte[] digest(String token) {
    return Sha256.of(token);
  }
}
