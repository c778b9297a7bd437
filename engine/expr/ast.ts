/** Expression AST of the transformation language (docs/semantics.md#language). Offsets index the entry string. */
export interface Span {
  from: number;
  to: number;
}

export type LiteralType = 'LongType' | 'FloatType' | 'BooleanType' | 'StringType';

export interface FieldRef extends Span {
  kind: 'field';
  name: string;
}

export interface Literal extends Span {
  kind: 'literal';
  type: LiteralType;
  /** integer literals: number or bigint (exact); floats: number; strings: the unescaped text */
  value: number | bigint | boolean | string;
  /** source text of the literal, kept so printing is faithful */
  raw: string;
}

export interface Call extends Span {
  kind: 'call';
  name: string;
  nameSpan: Span;
  args: Expr[];
}

export type Expr = FieldRef | Literal | Call;

/** One entry of `processing.transformation`. */
export interface TransformEntry {
  /** output column name */
  name: string;
  nameSpan: Span;
  /** the body; a plain field entry has a FieldRef body */
  body: Expr;
  form: 'field' | 'rename' | 'constant' | 'call';
}
