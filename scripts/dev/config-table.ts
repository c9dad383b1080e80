// npm run docs:config: prints the README's config table from the key table.
//   --check  fails (exit 1) when README.md's table, between its markers, differs from it
//   --write  puts it between README.md's markers
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configTable, readmeTable, withTable } from "../../components/config/docs";

const readmePath = join(__dirname, "..", "..", "README.md");
const table = configTable();
const mode = process.argv[2];

if (mode === "--check") {
    const current = readmeTable(readFileSync(readmePath, "utf8"));
    if (current !== table) {
        console.error(
            current === undefined
                ? "README.md has no <!-- config-table --> ... <!-- /config-table --> markers"
                : "README.md's config table differs from the key table: npm run docs:config -- --write",
        );
        process.exit(1);
    }
} else if (mode === "--write") {
    writeFileSync(readmePath, withTable(readFileSync(readmePath, "utf8"), table));
} else {
    console.log(table);
}
