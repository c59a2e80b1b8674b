import { ExprSyntaxError } from '../errors.js';
/**
 * The expression language of `expect` and `when` (SPEC 2.3). Parsed into an
 * AST and interpreted: runbook text never reaches JavaScript eval.
 */

export type Expr =
  | { kind: 'lit'; value: number | string | boolean | null; at: number }
  | { kind: 'name'; name: string; at: number }
  | { kind: 'unary'; op: '-' | 'not'; arg: Expr; at: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; at: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or' | 'contains';

/**
 * How deep an expression may nest (parentheses, `not`, `-`, and chains of
 * operators, which nest in the tree). Real ones use a handful of levels; the
 * limit keeps parsing and evaluation from overflowing the stack.
 */
export const MAX_EXPR_DEPTH = 64;

type Token = { type: 'num' | 'str' | 'ident' | 'op' | 'eof'; text: string; value?: number | string; at: number };

const KEYWORD_OPS = new Set(['and', 'or', 'not', 'contains']);

// Sticky: matched at the cursor without copying the rest of the source for every token.
const NUM = /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE = /\s/;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const at = i;
    NUM.lastIndex = i;
    const num = NUM.exec(src);
    if (num) {
      tokens.push({ type: 'num', text: num[0], value: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const ident = IDENT.exec(src);
    if (ident) {
      const word = ident[0];
      tokens.push({ type: KEYWORD_OPS.has(word) ? 'op' : 'ident', text: word, at });
      i += word.length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          out += src[j + 1];
          j += 2;
          continue;
        }
        out += src[j++];
      }
      if (j >= src.length) throw new ExprSyntaxError('unterminated string', at);
      tokens.push({ type: 'str', text: src.slice(i, j + 1), value: out, at });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['<=', '>=', '==', '!=', '&&', '||'].includes(two)) {
      if (two === '&&' || two === '||') {
        throw new ExprSyntaxError(`use '${two === '&&' ? 'and' : 'or'}' instead of '${two}'`, at);
      }
      tokens.push({ type: 'op', text: two, at });
      i += 2;
      continue;
    }
    if ('<>+-*/()'.includes(c)) {
      tokens.push({ type: 'op', text: c, at });
      i++;
      continue;
    }
    if (c === '=') throw new ExprSyntaxError("use '==' to compare", at);
    if (c === '!') throw new ExprSyntaxError("use 'not' instead of '!'", at);
    throw new ExprSyntaxError(`unexpected character '${c}'`, at);
  }
  tokens.push({ type: 'eof', text: '', at: src.length });
  return tokens;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=', 'contains']);

export function parseExpr(src: string): Expr {
  const tokens = tokenize(src);
  // The list ends with an eof token and nothing reads past it; `end` only satisfies the index type.
  const end: Token = { type: 'eof', text: '', at: src.length };
  let pos = 0;
  const peek = (): Token => tokens[pos] ?? end;
  const isOp = (text: string) => peek().type === 'op' && peek().text === text;
  const next = (): Token => tokens[pos++] ?? end;
  const tooDeep = (at: number) =>
    new ExprSyntaxError(`nested more than ${MAX_EXPR_DEPTH} levels deep`, at, 'expr-too-deep');
  // Recursion depth of the parser (parentheses, prefix operators), checked before it recurses.
  let nesting = 0;
  const nested = <T>(at: number, parse: () => T): T => {
    if (++nesting > MAX_EXPR_DEPTH) throw tooDeep(at);
    try {
      return parse();
    } finally {
      nesting--;
    }
  };
  // Depth of the tree built so far: a long chain `1 + 1 + ...` nests without recursing here.
  const depth = new WeakMap<Expr, number>();
  const node = <E extends Expr>(e: E, ...children: Expr[]): E => {
    const d = 1 + Math.max(0, ...children.map((c) => depth.get(c) ?? 0));
    if (d > MAX_EXPR_DEPTH) throw tooDeep(e.at);
    depth.set(e, d);
    return e;
  };

  function binaryLevel(ops: string[], sub: () => Expr): () => Expr {
    return () => {
      let left = sub();
      while (peek().type === 'op' && ops.includes(peek().text)) {
        const t = next();
        const right = sub();
        left = node({ kind: 'binary', op: t.text as BinaryOp, left, right, at: t.at }, left, right);
      }
      return left;
    };
  }

  const primary = (): Expr => {
    const t = next();
    if (t.type === 'num' || t.type === 'str') return { kind: 'lit', value: t.value!, at: t.at };
    if (t.type === 'ident') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'lit', value: t.text === 'true', at: t.at };
      if (t.text === 'null') return { kind: 'lit', value: null, at: t.at };
      return { kind: 'name', name: t.text, at: t.at };
    }
    if (t.type === 'op' && t.text === '(') {
      const inner = nested(t.at, or);
      if (!isOp(')')) throw new ExprSyntaxError("expected ')'", peek().at);
      next();
      return inner;
    }
    if (t.type === 'eof') throw new ExprSyntaxError('unexpected end of expression', t.at);
    throw new ExprSyntaxError(`unexpected '${t.text}'`, t.at);
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      const t = next();
      const arg = nested(t.at, unary);
      return node({ kind: 'unary', op: '-', arg, at: t.at }, arg);
    }
    return primary();
  };
  const mul = binaryLevel(['*', '/'], unary);
  const add = binaryLevel(['+', '-'], mul);
  const cmp = (): Expr => {
    const left = add();
    if (peek().type === 'op' && COMPARISONS.has(peek().text)) {
      const t = next();
      const right = add();
      if (peek().type === 'op' && COMPARISONS.has(peek().text)) {
        throw new ExprSyntaxError("comparisons do not chain; join them with 'and'", peek().at);
      }
      return node({ kind: 'binary', op: t.text as BinaryOp, left, right, at: t.at }, left, right);
    }
    return left;
  };
  const not = (): Expr => {
    if (isOp('not')) {
      const t = next();
      const arg = nested(t.at, not);
      return node({ kind: 'unary', op: 'not', arg, at: t.at }, arg);
    }
    return cmp();
  };
  const and = binaryLevel(['and'], not);
  const or = binaryLevel(['or'], and);

  const ast = or();
  if (peek().type !== 'eof') throw new ExprSyntaxError(`unexpected '${peek().text}'`, peek().at);
  return ast;
}

/** Every identifier an expression reads, so validation can check they exist. */
export function namesIn(expr: Expr): { name: string; at: number }[] {
  switch (expr.kind) {
    case 'lit':
      return [];
    case 'name':
      return [{ name: expr.name, at: expr.at }];
    case 'unary':
      return namesIn(expr.arg);
    case 'binary':
      return [...namesIn(expr.left), ...namesIn(expr.right)];
  }
}

/** Source text for an AST, used when a breach explains itself. */
export function exprToString(expr: Expr): string {
  switch (expr.kind) {
    case 'lit':
      return typeof expr.value === 'string' ? JSON.stringify(expr.value) : String(expr.value);
    case 'name':
      return expr.name;
    case 'unary':
      return expr.op === 'not' ? `not ${exprToString(expr.arg)}` : `-${exprToString(expr.arg)}`;
    case 'binary':
      return `${exprToString(expr.left)} ${expr.op} ${exprToString(expr.right)}`;
  }
}
