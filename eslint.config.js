import tseslint from 'typescript-eslint';

/**
 * The layers' import boundaries (STYLE.md "Layout"; README "Architecture"). Import paths
 * are relative, so each rule matches the path as written; `test/boundaries.test.ts` lints
 * one forbidden and one allowed import per rule. ESLint keeps only the last options a
 * file gets for a rule, so every folder's restrictions are listed in one entry.
 */
const notHttp = {
  regex: '^(\\.\\./)+http(/|$)',
  message: 'Modules never import src/http: errors, pagination, validation and schemas are in src/shared; the request operator in src/modules/operators/request-operator.ts.',
};
const notAnotherModulesStore = {
  regex: '^\\.\\./(?:[^/]+/)+(store|repository)(\\.ts)?$',
  message: "A module reaches another module through its service's exported functions, never its store.",
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON answers whose shape they assert; `any` keeps them readable.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The bet machine decides and never acts: xstate and its own files, nothing else (a
    // stored snapshot is checked by the bets module before it comes back here).
    files: ['machines/**/*.ts'],
    ignores: ['machines/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!xstate$|\\./)', message: 'machines/ imports only xstate and its own files.' }] }],
    },
  },
  {
    // The wallet mock stands for an operator's wallet: it talks HTTP only.
    files: ['walletmock/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src(/|$)', message: 'walletmock/ imports nothing from src/.' }] }],
    },
  },
  {
    // The nodes and workers never enter an AsyncLocalStorage (src/shared/em-transaction.ts
    // says why): entity code reads with find/findOne/count and writes with insert,
    // insertMany, nativeUpdate, nativeDelete or upsert, in `inTransaction` when it needs one.
    files: ['src/**/*.ts', 'queues/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(flush|persistAndFlush|transactional|findAndCount|findByCursor)$/]",
          message: 'On the nodes: no em.flush/transactional/findAndCount (they enter an AsyncLocalStorage); use insert/nativeUpdate and inTransaction (src/shared/em-transaction.ts).',
        },
        {
          selector: "MemberExpression[object.name='RequestContext']",
          message: "No MikroORM RequestContext on the nodes: req.em and context.em are lazy forks (src/http/unit-of-work.ts).",
        },
      ],
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [notHttp, notAnotherModulesStore] }] },
  },
  {
    // A game is a pure function of the fair bytes (docs/games.md): zod, its own files, the
    // Game interface and the fairness module's bytes and errors; no database, HTTP or service.
    files: ['src/games/**/*.ts'],
    ignores: ['src/games/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|node:crypto$|\\./|\\.\\./game\\.ts$|(\\.\\./)+modules/fairness/(fair-bytes|errors|seed-hmac|test-vectors)\\.ts$)',
              message: 'src/games/ imports only zod, node:crypto, its own files, ../game.ts and the fairness bytes (modules/fairness/fair-bytes, errors, seed-hmac, test-vectors).',
            },
          ],
        },
      ],
    },
  },
);
