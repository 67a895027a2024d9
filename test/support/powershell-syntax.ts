/**
 * Syntax-checks PowerShell with tree-sitter-powershell (wasm) through web-tree-sitter: a smoke
 * check that catches unclosed blocks, unterminated strings and dangling operators in generated
 * scripts. Not proof that a script runs; Debian has no PowerShell to run it.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

export interface SyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

let parser: Parser | undefined;

async function powershellParser(): Promise<Parser> {
  if (!parser) {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
    const p = new Parser();
    p.setLanguage(await Language.load(wasm));
    parser = p;
  }
  return parser;
}

/** Every ERROR or missing node of the parse, with its 1-based position and the source around it. */
export async function powershellSyntaxProblems(script: string): Promise<SyntaxProblem[]> {
  const tree = (await powershellParser()).parse(script);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const problems: SyntaxProblem[] = [];
  const lines = script.split('\n');
  const walk = (node: Node): void => {
    if (node.isError || node.isMissing) {
      const { row, column } = node.startPosition;
      problems.push({ line: row + 1, column: column + 1, text: `${node.isMissing ? `missing ${node.type}` : 'syntax error'}: ${(lines[row] ?? '').trim()}` });
      return;
    }
    for (const child of node.children) if (child) walk(child);
  };
  if (tree.rootNode.hasError) walk(tree.rootNode);
  tree.delete();
  return problems;
}
