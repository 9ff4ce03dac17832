package dev.triggergate.validation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A JSON Schema {@code pattern} read as ECMA-262 (JSON Schema's dialect, without flags) into a
 * tree, from which {@link #toJava} writes the java.util.regex that matches the same strings and
 * {@link LinearPattern} its one-pass form.
 *
 * <p>Java's syntax looks the same and means something else: its {@code $} also matches before a
 * line terminator that ends the input, its {@code \s} is ASCII where ECMA-262's is Unicode white
 * space and line terminators, its {@code .} also refuses U+0085 (NEL), and it reads a string by
 * code points where ECMA-262 without the {@code u} flag reads UTF-16 code units. So no Java syntax
 * is passed through: every atom is written out as the set of code units it matches, {@code $} as
 * {@code \z}. Constructs not translated here (backreferences, lookbehind, named groups, {@code \b},
 * {@code \p}, code point escapes (u with braces), Annex B's lenient forms) are refused when the
 * schema loads, with the reason: the schema file is ours, so failing at start-up beats matching
 * differently.
 */
final class EcmaPattern {
  /** A count with no upper bound. */
  static final int UNBOUNDED = Integer.MAX_VALUE;

  private static final char SURROGATE_FIRST = '\uD800';
  private static final int LATIN_1_END = 0xff;

  /** ECMA-262 WhiteSpace and LineTerminator, the members of {@code \s}. */
  private static final UnitSet SPACE =
      UnitSet.of(
          '\t', '\r', // tab, line feed, line tabulation, form feed, carriage return
          ' ', ' ',
          '\u00a0', '\u00a0', // no-break space
          '\u1680', '\u1680', // ogham space mark
          '\u2000', '\u200a', // en quad to hair space
          '\u2028', '\u2029', // line separator, paragraph separator
          '\u202f', '\u202f', // narrow no-break space
          '\u205f', '\u205f', // medium mathematical space
          '\u3000', '\u3000', // ideographic space
          '\ufeff', '\ufeff'); // zero width no-break space (the byte order mark)

  private static final UnitSet DIGIT = UnitSet.of('0', '9');
  private static final UnitSet WORD = UnitSet.of('0', '9', 'A', 'Z', '_', '_', 'a', 'z');

  /** What {@code .} matches: every code unit but the four line terminators. */
  private static final UnitSet DOT =
      UnitSet.of('\n', '\n', '\r', '\r', '\u2028', '\u2029').complement();

  /** One part of a pattern. */
  sealed interface Node permits Chars, Anchor, Group, Look, Repeat {}

  /** One code unit from a set: a literal, {@code .}, a class or a class escape. */
  record Chars(UnitSet set) implements Node {}

  /** {@code ^} or {@code $}: without the {@code m} flag, the start and the end of the input. */
  enum Anchor implements Node {
    START,
    END
  }

  /** {@code (...)} or {@code (?:...)}: a group, whose capture matters only to backreferences. */
  record Group(List<List<Node>> alternatives) implements Node {}

  /** {@code (?=...)} or {@code (?!...)}. */
  record Look(boolean negative, List<List<Node>> alternatives) implements Node {}

  /** An atom with a quantifier; {@code max} is {@link EcmaPattern#UNBOUNDED} for none. */
  record Repeat(Node atom, int min, int max, boolean lazy) implements Node {}

  private final String source;
  private final List<List<Node>> alternatives;
  private final Pattern java;

  private EcmaPattern(String source, List<List<Node>> alternatives) {
    this.source = source;
    this.alternatives = alternatives;
    StringBuilder out = new StringBuilder();
    writeAlternatives(alternatives, out);
    this.java = Pattern.compile(out.toString());
  }

  /**
   * Reads an ECMA-262 pattern; throws IllegalArgumentException naming the construct and its index
   * when it is not one this class translates faithfully.
   */
  static EcmaPattern parse(String source) {
    Parser parser = new Parser(source);
    List<List<Node>> alternatives = parser.disjunction();
    if (parser.at < source.length()) {
      throw parser.refuse("unbalanced )");
    }
    for (List<Node> alternative : alternatives) {
      checkCodeUnits(alternative, true, source);
    }
    return new EcmaPattern(source, alternatives);
  }

  /** The ECMA-262 source, as the schema has it. */
  String source() {
    return source;
  }

  /** The top-level alternatives. */
  List<List<Node>> alternatives() {
    return alternatives;
  }

  /** A java.util.regex that {@code find}s exactly where ECMA-262's {@code RegExp.test} is true. */
  Pattern toJava() {
    return java;
  }

  /**
   * ECMA-262 (without {@code u}) steps through UTF-16 code units, java.util.regex through code
   * points, so a character outside the BMP is two atoms to one and one to the other. The two agree
   * only where an atom that may match a surrogate (a "wide" one: {@code .}, a negated set, {@code
   * \S}) runs with {@code *} or {@code +} and is followed by what no surrogate matches (a narrow
   * atom, {@code $}) or by the end of the match (of the pattern, or of a lookahead): there both
   * runs cover the same units, however they count them. Anything else is refused.
   */
  private static void checkCodeUnits(List<Node> sequence, boolean endsMatch, String source) {
    for (int i = 0; i < sequence.size(); i++) {
      Node node = sequence.get(i);
      if (node instanceof Chars chars && isWide(chars.set)) {
        throw refused(
            source,
            "a lone . or negated set matches one UTF-16 code unit in ECMA-262 and one code point"
                + " in java.util.regex; only a run of them (* or +) is translated");
      }
      if (node instanceof Repeat repeat) {
        if (repeat.atom instanceof Chars chars && isWide(chars.set)) {
          boolean run = repeat.min <= 1 && repeat.max == UNBOUNDED;
          if (!run || !endsSafely(sequence, i + 1, endsMatch)) {
            throw refused(
                source,
                "a . or negated set counts UTF-16 code units in ECMA-262 and code points in"
                    + " java.util.regex; it is translated only as a run (* or +) followed by a"
                    + " character no surrogate matches, by $, or by the end");
          }
        } else {
          checkNested(repeat.atom, source);
        }
      } else {
        checkNested(node, source);
      }
    }
  }

  private static void checkNested(Node node, String source) {
    if (node instanceof Group group) {
      for (List<Node> alternative : group.alternatives) {
        checkCodeUnits(alternative, false, source);
      }
    } else if (node instanceof Look look) {
      // Where a lookahead's body ends, the match of it ends: how far a run went does not matter.
      for (List<Node> alternative : look.alternatives) {
        checkCodeUnits(alternative, true, source);
      }
    }
  }

  private static IllegalArgumentException refused(String source, String why) {
    return new IllegalArgumentException("pattern \"" + source + "\": " + why);
  }

  /** Whether what follows a wide run, from {@code next} on, can never begin at a surrogate. */
  private static boolean endsSafely(List<Node> sequence, int next, boolean endsMatch) {
    if (next == sequence.size()) {
      return endsMatch;
    }
    Node node = sequence.get(next);
    if (node == Anchor.END) {
      return true;
    }
    if (node instanceof Repeat repeat && repeat.min >= 1) {
      node = repeat.atom;
    }
    return node instanceof Chars chars && !isWide(chars.set);
  }

  /**
   * Whether the set holds surrogates. No set holds only some: the parser refuses surrogates as
   * characters and range ends, so every range, and every complement, has all of them or none.
   */
  private static boolean isWide(UnitSet set) {
    return set.contains(SURROGATE_FIRST);
  }

  private static void writeAlternatives(List<List<Node>> alternatives, StringBuilder out) {
    for (int a = 0; a < alternatives.size(); a++) {
      if (a > 0) {
        out.append('|');
      }
      for (Node node : alternatives.get(a)) {
        write(node, out);
      }
    }
  }

  private static void write(Node node, StringBuilder out) {
    if (node instanceof Chars chars) {
      writeSet(chars.set, out);
    } else if (node instanceof Anchor anchor) {
      out.append(anchor == Anchor.START ? "^" : "\\z");
    } else if (node instanceof Group group) {
      out.append("(?:");
      writeAlternatives(group.alternatives, out);
      out.append(')');
    } else if (node instanceof Look look) {
      out.append(look.negative ? "(?!" : "(?=");
      writeAlternatives(look.alternatives, out);
      out.append(')');
    } else {
      Repeat repeat = (Repeat) node;
      write(repeat.atom, out);
      out.append(quantifier(repeat.min, repeat.max));
      if (repeat.lazy) {
        out.append('?');
      }
    }
  }

  private static String quantifier(int min, int max) {
    if (max == UNBOUNDED) {
      return min == 0 ? "*" : min == 1 ? "+" : "{" + min + ",}";
    }
    if (min == 0 && max == 1) {
      return "?";
    }
    return min == max ? "{" + min + "}" : "{" + min + "," + max + "}";
  }

  /**
   * A set as a Java atom. One without surrogates is its members; one with them is the complement of
   * the rest ({@code [^...]}), which Java also lets match every code point outside the BMP, as
   * ECMA-262 lets the set match each of its two surrogates.
   */
  private static void writeSet(UnitSet set, StringBuilder out) {
    boolean wide = isWide(set);
    UnitSet members = wide ? set.complement() : set;
    if (!wide && members.size() == 1) {
      writeUnit((char) members.ranges[0], out);
      return;
    }
    if (members.isEmpty()) {
      // Java has no empty class: [] matches nothing, [^] everything.
      out.append(wide ? "[\\x{0}-\\x{10ffff}]" : "[^\\x{0}-\\x{10ffff}]");
      return;
    }
    // java.util.regex keeps a class's characters below 256 in one bit table, and makes each range
    // and each other character a test of its own, all tried one after another before that table:
    // the email pattern written as ranges took 1,188 ns a string, about 50 written as here
    // (BENCHMARKS.md, issue 11). So Latin-1 members go in one by one, and the rest behind one
    // range that Latin-1 characters fail at once.
    out.append(wide ? "[^" : "[");
    int[] ranges = members.ranges;
    for (int r = 0; r < ranges.length; r += 2) {
      for (int unit = ranges[r]; unit <= Math.min(ranges[r + 1], LATIN_1_END); unit++) {
        writeUnit((char) unit, out);
      }
    }
    if (ranges[ranges.length - 1] > LATIN_1_END) {
      out.append("[\\x{100}-\\x{ffff}&&[");
      for (int r = 0; r < ranges.length; r += 2) {
        if (ranges[r + 1] > LATIN_1_END) {
          int from = Math.max(ranges[r], LATIN_1_END + 1);
          writeUnit((char) from, out);
          if (ranges[r + 1] != from) {
            out.append('-');
            writeUnit((char) ranges[r + 1], out);
          }
        }
      }
      out.append("]]");
    }
    out.append(']');
  }

  /**
   * Letters and digits as they are; every other unit as {@code \x{...}}, which Java never reads as
   * syntax.
   */
  private static void writeUnit(char unit, StringBuilder out) {
    boolean plain =
        (unit >= 'a' && unit <= 'z')
            || (unit >= 'A' && unit <= 'Z')
            || (unit >= '0' && unit <= '9');
    if (plain) {
      out.append(unit);
    } else {
      out.append("\\x{").append(Integer.toHexString(unit)).append('}');
    }
  }

  /**
   * A set of UTF-16 code units: sorted, disjoint, non-adjacent inclusive ranges, as pairs of ends.
   */
  static final class UnitSet {
    private static final UnitSet EMPTY = new UnitSet(new int[0]);

    private final int[] ranges;

    private UnitSet(int[] ranges) {
      this.ranges = ranges;
    }

    /**
     * The set of the inclusive ranges given as (from, to) pairs of ends, the pairs in any order.
     */
    static UnitSet of(char... ends) {
      int[] pairs = new int[ends.length];
      for (int i = 0; i < ends.length; i++) {
        pairs[i] = ends[i];
      }
      return normalized(pairs);
    }

    private static UnitSet normalized(int[] pairs) {
      int n = pairs.length / 2;
      long[] sorted = new long[n];
      for (int r = 0; r < n; r++) {
        sorted[r] = ((long) pairs[2 * r] << 32) | pairs[2 * r + 1];
      }
      Arrays.sort(sorted);
      int[] merged = new int[pairs.length];
      int size = 0;
      for (long range : sorted) {
        int from = (int) (range >>> 32);
        int to = (int) range;
        if (size > 0 && from <= merged[size - 1] + 1) {
          merged[size - 1] = Math.max(merged[size - 1], to);
        } else {
          merged[size++] = from;
          merged[size++] = to;
        }
      }
      return new UnitSet(Arrays.copyOf(merged, size));
    }

    UnitSet union(UnitSet other) {
      int[] both = Arrays.copyOf(ranges, ranges.length + other.ranges.length);
      System.arraycopy(other.ranges, 0, both, ranges.length, other.ranges.length);
      return normalized(both);
    }

    /** Every code unit not in this set. */
    UnitSet complement() {
      List<Integer> ends = new ArrayList<>();
      int next = 0;
      for (int r = 0; r < ranges.length; r += 2) {
        if (ranges[r] > next) {
          ends.add(next);
          ends.add(ranges[r] - 1);
        }
        next = ranges[r + 1] + 1;
      }
      if (next <= Character.MAX_VALUE) {
        ends.add(next);
        ends.add((int) Character.MAX_VALUE);
      }
      return new UnitSet(ends.stream().mapToInt(Integer::intValue).toArray());
    }

    boolean contains(char unit) {
      int low = 0;
      int high = ranges.length / 2 - 1;
      while (low <= high) {
        int mid = (low + high) >>> 1;
        if (unit < ranges[2 * mid]) {
          high = mid - 1;
        } else if (unit > ranges[2 * mid + 1]) {
          low = mid + 1;
        } else {
          return true;
        }
      }
      return false;
    }

    boolean overlaps(UnitSet other) {
      int a = 0;
      int b = 0;
      while (a < ranges.length && b < other.ranges.length) {
        if (ranges[a + 1] < other.ranges[b]) {
          a += 2;
        } else if (other.ranges[b + 1] < ranges[a]) {
          b += 2;
        } else {
          return true;
        }
      }
      return false;
    }

    boolean isEmpty() {
      return ranges.length == 0;
    }

    /** How many code units the set holds. */
    int size() {
      int size = 0;
      for (int r = 0; r < ranges.length; r += 2) {
        size += ranges[r + 1] - ranges[r] + 1;
      }
      return size;
    }
  }

  /** Recursive descent over ECMA-262's Pattern grammar, refusing what is not translated. */
  private static final class Parser {
    private static final int END_OF_SOURCE = -1;

    private final String source;
    private int at;

    Parser(String source) {
      this.source = source;
      for (int i = 0; i < source.length(); i++) {
        if (Character.isSurrogate(source.charAt(i))) {
          at = i;
          throw refuse(
              "a character outside the BMP is two UTF-16 code units to ECMA-262 and one code point"
                  + " to java.util.regex; not translated");
        }
      }
    }

    IllegalArgumentException refuse(String why) {
      return new IllegalArgumentException(
          "pattern \"" + source + "\", at index " + at + ": " + why);
    }

    private IllegalArgumentException refuseAt(int index, String why) {
      at = index;
      return refuse(why);
    }

    List<List<Node>> disjunction() {
      List<List<Node>> alternatives = new ArrayList<>();
      alternatives.add(alternative());
      while (peek() == '|') {
        at++;
        alternatives.add(alternative());
      }
      return alternatives;
    }

    private List<Node> alternative() {
      List<Node> terms = new ArrayList<>();
      while (peek() != END_OF_SOURCE && peek() != '|' && peek() != ')') {
        terms.add(term());
      }
      return terms;
    }

    private Node term() {
      int start = at;
      char c = source.charAt(at++);
      Node atom =
          switch (c) {
            case '^' -> Anchor.START;
            case '$' -> Anchor.END;
            case '(' -> group(start);
            case '.' -> new Chars(DOT);
            case '[' -> new Chars(charClass());
            case '\\' -> new Chars(atomEscape(start));
            case '*', '+', '?' -> throw refuseAt(start, "nothing to repeat");
            case '{', '}', ']' ->
                throw refuseAt(
                    start, "a lone " + c + " (Annex B reads it as itself; write \\" + c + ")");
            default -> new Chars(UnitSet.of(c, c));
          };
      if (!isQuantifierNext()) {
        return atom;
      }
      if (atom instanceof Anchor || atom instanceof Look) {
        throw refuse("a quantifier on an assertion");
      }
      return quantified(atom);
    }

    /** After {@code (} at {@code start}. */
    private Node group(int start) {
      boolean look = false;
      boolean negative = false;
      if (peek() == '?') {
        at++;
        switch (peek()) {
          case ':' -> at++;
          case '=' -> {
            at++;
            look = true;
          }
          case '!' -> {
            at++;
            look = true;
            negative = true;
          }
          case '<' ->
              throw refuseAt(
                  start,
                  peek(1) == '=' || peek(1) == '!'
                      ? "lookbehind is not translated"
                      : "named groups are not translated");
          default ->
              throw refuseAt(start, "(? must go on with :, = or ! in ECMA-262 (no inline flags)");
        }
      }
      List<List<Node>> alternatives = disjunction();
      if (peek() != ')') {
        throw refuseAt(start, "unterminated group");
      }
      at++;
      return look ? new Look(negative, alternatives) : new Group(alternatives);
    }

    private boolean isQuantifierNext() {
      int c = peek();
      return c == '*' || c == '+' || c == '?' || c == '{';
    }

    private Node quantified(Node atom) {
      int start = at;
      int min;
      int max;
      switch (source.charAt(at++)) {
        case '*' -> {
          min = 0;
          max = UNBOUNDED;
        }
        case '+' -> {
          min = 1;
          max = UNBOUNDED;
        }
        case '?' -> {
          min = 0;
          max = 1;
        }
        default -> {
          min = count(start);
          max = min;
          if (peek() == ',') {
            at++;
            max = peek() == '}' ? UNBOUNDED : count(start);
          }
          if (peek() != '}') {
            throw refuseAt(start, "a { that is no quantifier (Annex B reads it as itself)");
          }
          at++;
          if (max < min) {
            throw refuseAt(start, "numbers out of order in {} quantifier");
          }
        }
      }
      boolean lazy = peek() == '?';
      if (lazy) {
        at++;
      }
      if (isQuantifierNext()) {
        // Java reads a++ as possessive; ECMA-262 has no such thing and rejects it.
        throw refuse("a quantifier after a quantifier");
      }
      return new Repeat(atom, min, max, lazy);
    }

    private int count(int start) {
      int from = at;
      long value = 0;
      while (peek() >= '0' && peek() <= '9') {
        value = value * 10 + (source.charAt(at++) - '0');
        if (value >= UNBOUNDED) {
          throw refuseAt(start, "a count too large");
        }
      }
      if (at == from) {
        throw refuseAt(start, "a { that is no quantifier (Annex B reads it as itself)");
      }
      return (int) value;
    }

    /** After a backslash at {@code start}, outside a class. */
    private UnitSet atomEscape(int start) {
      int c = peek();
      if (c == 'b' || c == 'B') {
        throw refuseAt(start, "word boundaries (\\b, \\B) are not translated");
      }
      if (c >= '1' && c <= '9') {
        throw refuseAt(start, "backreferences are not translated");
      }
      return escape(start);
    }

    /**
     * The set the escape at {@code start} stands for, inside a class or out; the caller has taken
     * {@code \b}, {@code \B} and, outside a class, backreferences, which mean something else there.
     */
    private UnitSet escape(int start) {
      char c = next("\\ at the end of the pattern");
      return switch (c) {
        case 'd' -> DIGIT;
        case 'D' -> DIGIT.complement();
        case 's' -> SPACE;
        case 'S' -> SPACE.complement();
        case 'w' -> WORD;
        case 'W' -> WORD.complement();
        case 't' -> single('\t');
        case 'n' -> single('\n');
        case 'v' -> single('\u000B');
        case 'f' -> single('\f');
        case 'r' -> single('\r');
        case '0' -> {
          if (peek() >= '0' && peek() <= '9') {
            throw refuseAt(start, "octal escapes are not translated");
          }
          yield single('\0');
        }
        case 'x' -> single(hex(start, 2, "\\x must be followed by two hex digits"));
        case 'u' -> {
          if (peek() == '{') {
            throw refuseAt(
                start, "\\u{...} needs the u flag, which JSON Schema patterns do not have");
          }
          char unit = hex(start, 4, "\\u must be followed by four hex digits");
          if (Character.isSurrogate(unit)) {
            throw refuseAt(
                start,
                "a surrogate is half a character to java.util.regex and a whole one to ECMA-262;"
                    + " not translated");
          }
          yield single(unit);
        }
        default -> {
          if (c < 128 && !Character.isLetterOrDigit(c)) {
            // An escaped punctuation character (\. \/ \- ...) is that character.
            yield single(c);
          }
          throw refuseAt(
              start,
              switch (c) {
                case 'k' -> "named backreferences are not translated";
                case 'p', 'P' -> "\\p and \\P need the u flag, which JSON Schema patterns lack";
                case 'c' -> "control escapes (\\c) are not translated";
                default ->
                    c >= '1' && c <= '9'
                        ? "octal escapes are not translated"
                        : "\\" + c + " is no ECMA-262 escape (Annex B reads it as " + c + ")";
              });
        }
      };
    }

    private static UnitSet single(char unit) {
      return UnitSet.of(unit, unit);
    }

    private char hex(int start, int digits, String why) {
      int value = 0;
      for (int i = 0; i < digits; i++) {
        int c = peek();
        int digit = c >= 0 && c < 128 ? Character.digit(c, 16) : -1;
        if (digit < 0) {
          throw refuseAt(start, why);
        }
        value = value * 16 + digit;
        at++;
      }
      return (char) value;
    }

    /** After {@code [}: a class, as the set of units it matches. */
    private UnitSet charClass() {
      int open = at - 1;
      boolean negated = peek() == '^';
      if (negated) {
        at++;
      }
      UnitSet set = UnitSet.EMPTY;
      while (peek() != ']') {
        if (peek() == END_OF_SOURCE) {
          throw refuseAt(open, "unterminated character class");
        }
        int from = at;
        UnitSet members = classAtom();
        if (peek() == '-' && peek(1) != ']' && peek(1) != END_OF_SOURCE) {
          at++;
          int to = at;
          UnitSet last = classAtom();
          if (isSetEscape(from) || isSetEscape(to)) {
            throw refuseAt(from, "a range with \\d, \\s or \\w at one end");
          }
          if (last.ranges[0] < members.ranges[0]) {
            throw refuseAt(from, "range out of order in character class");
          }
          members = UnitSet.normalized(new int[] {members.ranges[0], last.ranges[0]});
        }
        set = set.union(members);
      }
      at++;
      return negated ? set.complement() : set;
    }

    private boolean isSetEscape(int i) {
      return source.charAt(i) == '\\' && "dDsSwW".indexOf(source.charAt(i + 1)) >= 0;
    }

    /** One member of a class: a character, or an escape (where \b is a backspace). */
    private UnitSet classAtom() {
      int start = at;
      char c = source.charAt(at++);
      if (c != '\\') {
        return single(c);
      }
      return switch (peek()) {
        case 'b' -> {
          at++;
          yield single('\b');
        }
        case 'B' -> throw refuseAt(start, "\\B is no ECMA-262 escape in a class");
        default -> escape(start);
      };
    }

    private char next(String why) {
      if (at >= source.length()) {
        throw refuse(why);
      }
      return source.charAt(at++);
    }

    private int peek() {
      return peek(0);
    }

    private int peek(int ahead) {
      return at + ahead < source.length() ? source.charAt(at + ahead) : END_OF_SOURCE;
    }
  }
}
