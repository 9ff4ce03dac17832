package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Holds each pattern's java.util.regex translation to what a real ECMAScript engine says, on
 * strings made of the characters where Java and ECMA-262 part: line terminators, Unicode spaces,
 * U+0085, non-ASCII digits, characters outside the BMP and lone surrogates.
 */
class EcmaPatternTest {
  private static final EcmaScript ECMA = new EcmaScript();

  private static final String[] ALPHABET = {
    "a",
    "b",
    "c",
    "x",
    "A",
    "_",
    "0",
    "9",
    "@",
    ".",
    ",",
    ";",
    ":",
    "-",
    "+",
    "(",
    ")",
    "/",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\u000B",
    "\f",
    "\b",
    "\0",
    "\u0085",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u200b",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u180e",
    "\u0663",
    "\uff13",
    "\u00b2",
    "\u00e9",
    "\uD83D\uDE00",
    "\uD83D",
    "\uDE00"
  };

  private static final String[] SEEDS = {
    "a@b",
    "u1@example.com",
    "+7 (900) 000-00-02",
    "6606e08f10bcdd88297057a7",
    "data:text/plain;base64,SGk=",
    "abc",
    "aab",
    "cd",
    "x",
    "A.B"
  };

  @ParameterizedTest
  @ValueSource(
      strings = {
        // The schema's own patterns.
        "^[^@\\s]+@[^@\\s]+$",
        "^\\+?[ ().-]*(?:[0-9][ ().-]*){5,20}$",
        "^[0-9a-f]{24}$",
        "^data:[^;,]+;base64,",
        // Each class escape, the dot and the anchors.
        "^\\s+$",
        "\\s",
        "^\\S+$",
        "^\\S+@\\S+\\.\\S+$",
        "^\\S+\\s\\S+$",
        "^\\d+$",
        "\\d",
        "^\\D+$",
        "^\\w+$",
        "^\\W*x",
        "^.+$",
        "a.*b",
        "x.*",
        "^[\\s\\S]*$",
        "^[^]*$",
        "^[]?a$",
        "^[^\\s\\S]?b",
        "$",
        "^",
        "^$",
        "x$",
        "^a|b$",
        "",
        "|a",
        // Classes, escapes, groups, lookaheads, counts, laziness.
        "^[^\\d]+$",
        "^[\\d\\s]+$",
        "^[\\w.-]+$",
        "^[a-c\\-]+$",
        "^[-a]$",
        "^[a-]$",
        "^[--0]$",
        "^[[]$",
        "^[\\x41-\\x43]+$",
        "^\\u00e9+$",
        "^[\\u00a0\\t]$",
        "^\\0?$",
        "^[\\b]$",
        "^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\^\\$\\\\\\-\\@",
        "^\\t\\n\\v\\f\\r",
        "^(?:ab|cd)+$",
        "^(a|b)*c$",
        "^a{2,3}$",
        "^a{2,}$",
        "^a{0}b$",
        "^a+?b$",
        "^a*?b",
        "^a??b",
        "^a{2}$",
        "^a{1,3}?b",
        "^(?:a*)*b",
        "^(?=.*x)[a-z]+$",
        "^(?!x)[^,]+$",
        "(?=[^a]+)",
        "^(?:[^@]+@)+$"
      })
  void translationAgreesWithEcmaScript(String source) {
    Pattern java = EcmaPattern.parse(source).toJava();
    Random random = new Random(source.hashCode());
    for (int i = 0; i < 2_000; i++) {
      String s = randomString(random);
      assertThat(java.matcher(s).find())
          .as("%s (as %s) on \"%s\"", source, java, escape(s))
          .isEqualTo(ECMA.test(source, s));
    }
  }

  /**
   * The differences the translation exists for: java.util.regex as it is would answer otherwise.
   */
  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "^[^@\\s]+@[^@\\s]+$ | a@b\\n",
        "^[^@\\s]+@[^@\\s]+$ | a@b\\r\\n",
        "^[^@\\s]+@[^@\\s]+$ | a@b\\u2028",
        "^[^@\\s]+@[^@\\s]+$ | a\\u00a0b@c",
        "^[0-9a-f]{24}$ | 6606e08f10bcdd88297057a7\\u0085",
        "^.+$ | a\\u0085b",
        "^\\s$ | \\ufeff",
        "^\\S+$ | a\\u3000b"
      })
  void differsFromJavaRegexWhereEcmaDoes(String source, String escaped) {
    String s = unescape(escaped);
    boolean ecma = ECMA.test(source, s);

    assertThat(Pattern.compile(source).matcher(s).find()).as("java.util.regex").isNotEqualTo(ecma);
    assertThat(EcmaPattern.parse(source).toJava().matcher(s).find()).isEqualTo(ecma);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "(a)\\1 | backreferences are not translated",
        "(?<n>a)\\k<n> | named groups are not translated",
        "\\k<n> | named backreferences are not translated",
        "(?<=a)b | lookbehind is not translated",
        "(?<!a)b | lookbehind is not translated",
        "\\bx | word boundaries",
        "x\\B | word boundaries",
        "\\p{L} | \\p and \\P need the u flag",
        "\\u{41} | needs the u flag",
        "\\cJ | control escapes",
        "\\01 | octal escapes",
        "[\\1] | octal escapes",
        "\\a | \\a is no ECMA-262 escape",
        "(?i)a | no inline flags",
        "a++ | a quantifier after a quantifier",
        "a{2}+ | a quantifier after a quantifier",
        "a** | a quantifier after a quantifier",
        "*a | nothing to repeat",
        "^* | a quantifier on an assertion",
        "(?=a)* | a quantifier on an assertion",
        "a{ | a { that is no quantifier",
        "a{,2} | a { that is no quantifier",
        "a{2,1} | numbers out of order",
        "] | a lone ]",
        "} | a lone }",
        "(a | unterminated group",
        "a) | unbalanced )",
        "[a | unterminated character class",
        "[z-a] | range out of order",
        "[\\d-z] | a range with \\d, \\s or \\w",
        "\\x4 | \\x must be followed by two hex digits",
        "\\u00e | \\u must be followed by four hex digits",
        "\\ud83d | a surrogate",
        "^.$ | a lone . or negated set",
        "^[^a]b$ | a lone . or negated set",
        "^[^a]{2}$ | counts UTF-16 code units",
        "^.?$ | counts UTF-16 code units",
        "^[^a]+[^b]$ | counts UTF-16 code units",
        "^(?:[^a]+)x$ | counts UTF-16 code units",
        "^.*x?$ | counts UTF-16 code units"
      })
  void refusesWhatItDoesNotTranslate(String source, String why) {
    assertThatThrownBy(() -> EcmaPattern.parse(source))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pattern \"" + source + "\"")
        .hasMessageContaining(why);
  }

  @Test
  void refusesCharactersOutsideTheBmp() {
    assertThatThrownBy(() -> EcmaPattern.parse("^\uD83D\uDE00+$"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside the BMP");
  }

  private static String randomString(Random random) {
    StringBuilder s = new StringBuilder();
    if (random.nextInt(3) == 0) {
      s.append(SEEDS[random.nextInt(SEEDS.length)]);
      // One character changed, added or inserted: near misses of the strings that match.
      int at = random.nextInt(s.length() + 1);
      String c = ALPHABET[random.nextInt(ALPHABET.length)];
      switch (random.nextInt(3)) {
        case 0 -> s.insert(at, c);
        case 1 -> s.append(c);
        default -> {
          if (at < s.length()) {
            s.replace(at, at + 1, c);
          }
        }
      }
      return s.toString();
    }
    for (int k = 0, n = random.nextInt(10); k < n; k++) {
      s.append(ALPHABET[random.nextInt(ALPHABET.length)]);
    }
    return s.toString();
  }

  static String unescape(String escaped) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c != '\\') {
        s.append(c);
        continue;
      }
      char kind = escaped.charAt(++i);
      switch (kind) {
        case 'n' -> s.append('\n');
        case 'r' -> s.append('\r');
        case 'u' -> {
          s.append((char) Integer.parseInt(escaped.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> s.append(kind);
      }
    }
    return s.toString();
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      out.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return out.toString();
  }
}
