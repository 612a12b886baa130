/**
 * Variable capture. Python's engine used `sys.settrace`; JavaScript has no cheap
 * equivalent, so the compiler rewrites the handler instead: after each statement that
 * declares or assigns a local variable it records the variable's current value in the
 * execution's variable map. Only the handler's own body is instrumented (not nested
 * functions), so hot helper code pays nothing. Source maps keep the user's lines.
 */
import ts from "typescript";

const RECORDER = "__bifrost$vars";
const RECORDER_IMPORT = `import { variableRecorder as __bifrost$recorder } from "bifrost/runtime";`;
const DEFINERS = new Set(["workflow", "tool", "dataProvider"]);
export const INLINE_FUNCTION = "__bifrost$inline";

function boundNames(name: ts.BindingName, out: string[] = []): string[] {
  if (ts.isIdentifier(name)) out.push(name.text);
  else
    for (const element of name.elements) {
      if (ts.isBindingElement(element)) boundNames(element.name, out);
    }
  return out;
}

function record(f: ts.NodeFactory, names: string[]): ts.Statement[] {
  return names.map((n) =>
    f.createExpressionStatement(
      f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(RECORDER), "set"), undefined, [
        f.createStringLiteral(n),
        f.createIdentifier(n),
      ]),
    ),
  );
}

function assignedIdentifier(expr: ts.Expression): string | null {
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(expr.left)) {
      return expr.left.text;
    }
  }
  if ((ts.isPrefixUnaryExpression(expr) || ts.isPostfixUnaryExpression(expr)) && ts.isIdentifier(expr.operand)) {
    const op = expr.operator;
    if (op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken) return expr.operand.text;
  }
  return null;
}

function instrumentBody(f: ts.NodeFactory, fn: ts.FunctionLikeDeclaration): ts.Block | undefined {
  if (!fn.body) return undefined;
  const paramNames = fn.parameters.flatMap((p) => boundNames(p.name));
  const prologue: ts.Statement[] = [
    f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [
          f.createVariableDeclaration(
            RECORDER,
            undefined,
            undefined,
            f.createCallExpression(f.createIdentifier("__bifrost$recorder"), undefined, []),
          ),
        ],
        ts.NodeFlags.Const,
      ),
    ),
    ...record(f, paramNames),
  ];
  if (ts.isBlock(fn.body)) {
    return f.updateBlock(fn.body, [...prologue, ...instrumentStatements(f, fn.body.statements)]);
  }
  return f.createBlock([...prologue, f.createReturnStatement(fn.body)], true);
}

function asBlock(f: ts.NodeFactory, s: ts.Statement, prefix: ts.Statement[] = []): ts.Block {
  const inner = ts.isBlock(s) ? s.statements : f.createNodeArray([s]);
  const block = f.createBlock([...prefix, ...instrumentStatements(f, inner)], true);
  return ts.setTextRange(block, s);
}

function loopVariables(init: ts.ForInitializer): string[] {
  return ts.isVariableDeclarationList(init) ? init.declarations.flatMap((d) => boundNames(d.name)) : [];
}

function instrumentStatements(f: ts.NodeFactory, statements: ts.NodeArray<ts.Statement>): ts.Statement[] {
  const out: ts.Statement[] = [];
  for (const s of statements) {
    if (ts.isVariableStatement(s)) {
      out.push(s, ...record(f, s.declarationList.declarations.flatMap((d) => boundNames(d.name))));
    } else if (ts.isExpressionStatement(s)) {
      const name = assignedIdentifier(s.expression);
      out.push(s, ...(name ? record(f, [name]) : []));
    } else if (ts.isBlock(s)) {
      out.push(f.updateBlock(s, instrumentStatements(f, s.statements)));
    } else if (ts.isIfStatement(s)) {
      out.push(
        f.updateIfStatement(s, s.expression, asBlock(f, s.thenStatement), s.elseStatement && asBlock(f, s.elseStatement)),
      );
    } else if (ts.isForOfStatement(s)) {
      out.push(f.updateForOfStatement(s, s.awaitModifier, s.initializer, s.expression, asBlock(f, s.statement, record(f, loopVariables(s.initializer)))));
    } else if (ts.isForInStatement(s)) {
      out.push(f.updateForInStatement(s, s.initializer, s.expression, asBlock(f, s.statement, record(f, loopVariables(s.initializer)))));
    } else if (ts.isForStatement(s)) {
      out.push(f.updateForStatement(s, s.initializer, s.condition, s.incrementor, asBlock(f, s.statement)));
    } else if (ts.isWhileStatement(s)) {
      out.push(f.updateWhileStatement(s, s.expression, asBlock(f, s.statement)));
    } else if (ts.isDoStatement(s)) {
      out.push(f.updateDoStatement(s, asBlock(f, s.statement), s.expression));
    } else if (ts.isTryStatement(s)) {
      const c = s.catchClause;
      const catchClause =
        c &&
        f.updateCatchClause(
          c,
          c.variableDeclaration,
          f.updateBlock(c.block, [
            ...(c.variableDeclaration ? record(f, boundNames(c.variableDeclaration.name)) : []),
            ...instrumentStatements(f, c.block.statements),
          ]),
        );
      out.push(
        f.updateTryStatement(
          s,
          f.updateBlock(s.tryBlock, instrumentStatements(f, s.tryBlock.statements)),
          catchClause,
          s.finallyBlock && f.updateBlock(s.finallyBlock, instrumentStatements(f, s.finallyBlock.statements)),
        ),
      );
    } else if (ts.isSwitchStatement(s)) {
      const clauses = s.caseBlock.clauses.map((cl) =>
        ts.isCaseClause(cl)
          ? f.updateCaseClause(cl, cl.expression, instrumentStatements(f, cl.statements))
          : f.updateDefaultClause(cl, instrumentStatements(f, cl.statements)),
      );
      out.push(f.updateSwitchStatement(s, s.expression, f.updateCaseBlock(s.caseBlock, clauses)));
    } else if (ts.isLabeledStatement(s)) {
      out.push(f.updateLabeledStatement(s, s.label, asBlock(f, s.statement)));
    } else {
      out.push(s);
    }
  }
  return out;
}

function isDefinerCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return DEFINERS.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && DEFINERS.has(callee.name.text);
}

function transformer(mode: "module" | "inline"): ts.TransformerFactory<ts.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visitFunction = (fn: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration): ts.Node => {
      const body = instrumentBody(f, fn);
      if (!body) return fn;
      if (ts.isArrowFunction(fn)) {
        return f.updateArrowFunction(fn, fn.modifiers, fn.typeParameters, fn.parameters, fn.type, fn.equalsGreaterThanToken, body);
      }
      if (ts.isFunctionExpression(fn)) {
        return f.updateFunctionExpression(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, body);
      }
      return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, body);
    };
    const visit = (node: ts.Node): ts.Node => {
      if (mode === "module" && ts.isCallExpression(node) && isDefinerCall(node) && node.arguments.length >= 2) {
        const handler = node.arguments[1];
        if (handler && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler))) {
          const args = [...node.arguments];
          args[0] = ts.visitNode(args[0], visit) as ts.Expression;
          args[1] = visitFunction(handler) as ts.Expression;
          return f.updateCallExpression(node, node.expression, node.typeArguments, args);
        }
      }
      if (mode === "inline" && ts.isFunctionDeclaration(node) && node.name?.text === INLINE_FUNCTION) {
        return visitFunction(node);
      }
      return ts.visitEachChild(node, visit, ctx);
    };
    return (sf) => ts.visitNode(sf, visit) as ts.SourceFile;
  };
}

/**
 * Wraps an inline snippet (SPEC: `POST /api/workflows/code/execute`) as a module whose
 * default export is an async function of `params`. Import declarations move below the
 * function (ESM hoists them anyway) and are blanked in place, so every line of the
 * snippet keeps its line number in stack traces.
 */
export function wrapInlineSnippet(code: string): string {
  const sf = ts.createSourceFile("inline.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  let body = code;
  for (const statement of [...sf.statements].reverse()) {
    if (ts.isImportDeclaration(statement)) {
      const start = statement.getStart(sf);
      const text = code.slice(start, statement.end);
      imports.unshift(text);
      body = body.slice(0, start) + text.replace(/[^\n]/g, " ") + body.slice(statement.end);
    }
  }
  return `export default async function ${INLINE_FUNCTION}(params: any) {${body}\n}\n${imports.join("\n")}\n`;
}

export interface Transpiled {
  code: string;
}

/**
 * TypeScript → JavaScript for one entry file, with variable capture added. The result
 * carries an inline source map that esbuild chains into the bundle's map.
 */
export function transpileWithInstrumentation(source: string, fileName: string, mode: "module" | "inline"): Transpiled {
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      inlineSourceMap: true,
      inlineSources: true,
      verbatimModuleSyntax: false,
      isolatedModules: true,
    },
    transformers: { before: [transformer(mode)] },
  });
  // The transpiler is error-tolerant; a syntax error must fail the build, not run.
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new SyntaxError(
      errors
        .map((d) => {
          const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
          if (!d.file || d.start === undefined) return text;
          const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
          return `${fileName}:${line + 1}:${character + 1}: ${text}`;
        })
        .join("\n"),
    );
  }
  // Appended, not prepended: the inline source map describes outputText's lines as they are.
  const marker = out.outputText.lastIndexOf("//# sourceMappingURL=");
  const code = marker < 0 ? `${out.outputText}\n${RECORDER_IMPORT}\n` : `${out.outputText.slice(0, marker)}${RECORDER_IMPORT}\n${out.outputText.slice(marker)}`;
  return { code };
}
