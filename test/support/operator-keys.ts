import { loadModule, parseSync } from 'libpg-query';

// Whether a statement is keyed by operator (issue #21 point 4, docs/scaling.md): parsed by
// PostgreSQL's own parser (libpg-query), so a CTE, a sub-select or a join is seen as
// Postgres sees it, not as a regular expression guesses. A statement is keyed when every
// reference to a hot table in it is:
// - an INSERT that writes operator_id (and, with ON CONFLICT, names it in the conflict key);
// - a read, UPDATE or DELETE whose own WHERE or JOIN … ON has, among its AND-ed conditions,
//   a comparison of that table's operator_id (`t.operator_id = …`, `= ANY(…)`, `IN (…)`, or
//   a row `(t.operator_id, t.id) = (…)` as MikroORM writes composite keys). Under OR or NOT
//   a condition does not count: it does not restrict the rows to one operator.

/** The tables the bet path reads and writes, each led by operator_id (migrations 0001, 0012, 0013). */
export const HOT_TABLES = new Set([
  'bets',
  'bet_transitions',
  'rounds',
  'seed_pairs',
  'wallet_transactions',
  'sessions',
  'players',
  'player_daily_totals',
  'events',
  'webhook_deliveries',
  'idempotency_records',
  'audit_log',
]);

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const child = (node: Node, key: string): Node | undefined => (isNode(node[key]) ? (node[key] as Node) : undefined);
const list = (node: Node | undefined, key: string): Node[] => (node && Array.isArray(node[key]) ? (node[key] as Node[]) : []);

/** A ColumnRef's dotted name, e.g. ['b', 'operator_id'] or ['operator_id']. */
function columnName(node: Node): string[] | undefined {
  const ref = child(node, 'ColumnRef');
  if (!ref) return undefined;
  return list(ref, 'fields').map((field) => String((child(field, 'String') ?? {}).sval ?? '*'));
}

/** Whether `node` is the column operator_id of `alias` (unqualified counts when the level has one table). */
function isOperatorColumn(node: Node | undefined, alias: string, onlyTable: boolean): boolean {
  if (!node) return false;
  const name = columnName(node);
  if (name?.at(-1) !== 'operator_id') return false;
  return name.length === 1 ? onlyTable : name.at(-2) === alias;
}

function mentionsOperatorColumn(side: Node | undefined, alias: string, onlyTable: boolean): boolean {
  if (!side) return false;
  if (isOperatorColumn(side, alias, onlyTable)) return true;
  const row = child(side, 'RowExpr');
  return list(row, 'args').some((arg) => isOperatorColumn(arg, alias, onlyTable));
}

/** The AND-ed conditions of a qualification (an OR or a NOT is one condition, kept whole). */
function conjuncts(qual: Node | undefined): Node[] {
  if (!qual) return [];
  const bool = child(qual, 'BoolExpr');
  if (bool?.boolop === 'AND_EXPR') return list(bool, 'args').flatMap(conjuncts);
  return [qual];
}

/** Whether one of `quals` compares the operator_id of `alias` (=, = ANY, IN, or within a row). */
function keyedBy(quals: Node[], alias: string, onlyTable: boolean): boolean {
  return quals.some((qual) => {
    const expr = child(qual, 'A_Expr');
    if (!expr) return false;
    const equality = list(expr, 'name').some((part) => (child(part, 'String') ?? {}).sval === '=');
    const kind = expr.kind as string;
    if (!equality || !['AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_IN'].includes(kind)) return false;
    return mentionsOperatorColumn(child(expr, 'lexpr'), alias, onlyTable) || mentionsOperatorColumn(child(expr, 'rexpr'), alias, onlyTable);
  });
}

interface TableRef {
  table: string;
  alias: string;
}

/** The tables of a FROM list (joins flattened) and the ON conditions of its joins. */
function fromItems(items: Node[], ctes: Set<string>): { tables: TableRef[]; quals: Node[] } {
  const tables: TableRef[] = [];
  const quals: Node[] = [];
  const visit = (item: Node) => {
    const range = child(item, 'RangeVar');
    if (range) {
      const table = String(range.relname);
      if (!ctes.has(table)) tables.push({ table, alias: String((child(range, 'alias') ?? {}).aliasname ?? table) });
      return;
    }
    const join = child(item, 'JoinExpr');
    if (join) {
      for (const side of ['larg', 'rarg']) if (child(join, side)) visit(child(join, side)!);
      quals.push(...conjuncts(child(join, 'quals')));
    }
  };
  items.forEach(visit);
  return { tables, quals };
}

/** Every hot table reference of the statement that is not keyed by operator, as `table (why)`. */
function unkeyedIn(statement: Node, outerCtes: Set<string>): string[] {
  const problems: string[] = [];
  const ctes = new Set(outerCtes);
  // Nested statements (CTEs, sub-selects, INSERT … SELECT) are checked on their own.
  const nested: Node[] = [];
  const walk = (value: unknown, top: boolean) => {
    if (Array.isArray(value)) return value.forEach((item) => walk(item, top));
    if (!isNode(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (!top && ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt'].includes(key)) nested.push({ [key]: inner });
      else walk(inner, false);
    }
  };
  const [kind, body] = Object.entries(statement)[0] as [string, Node];
  for (const cte of list(child(body, 'withClause'), 'ctes')) ctes.add(String((child(cte, 'CommonTableExpr') ?? {}).ctename));
  walk(body, true);

  const check = (refs: TableRef[], quals: Node[]) => {
    for (const ref of refs) {
      if (HOT_TABLES.has(ref.table) && !keyedBy(quals, ref.alias, refs.length === 1)) problems.push(`${ref.table} (no operator_id condition)`);
    }
  };
  if (kind === 'SelectStmt') {
    const from = fromItems(list(body, 'fromClause'), ctes);
    check(from.tables, [...conjuncts(child(body, 'whereClause')), ...from.quals]);
  } else if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
    const relation = child(body, 'relation')!;
    const target: TableRef = { table: String(relation.relname), alias: String((child(relation, 'alias') ?? {}).aliasname ?? relation.relname) };
    const from = fromItems(list(body, kind === 'UpdateStmt' ? 'fromClause' : 'usingClause'), ctes);
    const quals = [...conjuncts(child(body, 'whereClause')), ...from.quals];
    if (!ctes.has(target.table)) check([target], quals);
    check(from.tables, quals);
  } else if (kind === 'InsertStmt') {
    const table = String(child(body, 'relation')!.relname);
    if (HOT_TABLES.has(table) && !ctes.has(table)) {
      const columns = list(body, 'cols').map((col) => String((child(col, 'ResTarget') ?? {}).name));
      if (!columns.includes('operator_id')) problems.push(`${table} (INSERT without operator_id)`);
      const conflictKey = list(child(child(body, 'onConflictClause') ?? {}, 'infer'), 'indexElems');
      const keyColumns = conflictKey.map((elem) => String((child(elem, 'IndexElem') ?? {}).name));
      if (keyColumns.length > 0 && !keyColumns.includes('operator_id')) problems.push(`${table} (ON CONFLICT key without operator_id)`);
    }
  }
  for (const inner of nested) problems.push(...unkeyedIn(inner, ctes));
  return problems;
}

/** Loads the parser (WebAssembly): once, before unkeyedReferences. */
export const loadSqlParser = (): Promise<void> => loadModule();

/** The hot tables `sql` references without an operator_id key, with the reason; empty when it is keyed. */
export function unkeyedReferences(sql: string): string[] {
  const parsed = parseSync(sql) as { stmts: { stmt: Node }[] };
  return parsed.stmts.flatMap(({ stmt }) => unkeyedIn(stmt, new Set()));
}

/** Whether `sql` reads or writes one of the hot tables at all. */
export function touchesHotTable(sql: string): boolean {
  let found = false;
  const walk = (value: unknown) => {
    if (found) return;
    if (Array.isArray(value)) return value.forEach(walk);
    if (!isNode(value)) return;
    // A FROM item is wrapped ({RangeVar: …}); an INSERT's, UPDATE's or DELETE's target is not.
    if (typeof value.relname === 'string' && HOT_TABLES.has(value.relname)) found = true;
    Object.values(value).forEach(walk);
  };
  walk(parseSync(sql));
  return found;
}
