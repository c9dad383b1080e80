import tseslint from "typescript-eslint";

export default tseslint.config({ ignores: ["node_modules/**", "bin/**"] }, ...tseslint.configs.recommended, {
    rules: {
        // Mock inputs and provider states are untyped by nature.
        "@typescript-eslint/no-explicit-any": "off",
    },
});
