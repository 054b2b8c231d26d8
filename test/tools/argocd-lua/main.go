// argocd-lua runs an Argo CD resource health script (health.lua) the way Argo CD runs it: in
// gopher-lua, with the standard libraries skipped except package, base and table (no string, math
// or io library, and no global os: `require("os")` gives os.time and os.date only), the object as
// the global `obj`, and a one-second deadline. It prints the table the script returns as JSON.
//
// Usage: argocd-lua HEALTH.lua < object.json
//
// Exit 1 with the Lua error on stderr when the script fails or does not return a table, as Argo CD
// then shows the resource with a health error. Written for chaman-operator's tests.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// safeOsFunctions are what `require("os")` offers a health script in Argo CD: nothing that touches
// the process or the file system.
var safeOsFunctions = []string{"time", "date"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua HEALTH.lua < object.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	decoder := json.NewDecoder(bytes.NewReader(input))
	decoder.UseNumber()
	var object map[string]any
	if err := decoder.Decode(&object); err != nil {
		fail(fmt.Errorf("stdin is not a JSON object: %w", err))
	}
	result, err := runHealth(string(script), object)
	if err != nil {
		fail(err)
	}
	out, err := json.Marshal(result)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "argocd-lua: %v\n", err)
	os.Exit(1)
}

// loadSafeOs takes time and date from gopher-lua's os library and leaves no global os behind.
func loadSafeOs(l *lua.LState) int {
	if err := l.CallByParam(lua.P{Fn: l.NewFunction(lua.OpenOs), NRet: 0, Protect: true}, lua.LString(lua.OsLibName)); err != nil {
		l.RaiseError("%v", err)
	}
	full := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	l.SetGlobal(lua.OsLibName, lua.LNil)
	safe := l.NewTable()
	for _, name := range safeOsFunctions {
		safe.RawSetString(name, full.RawGetString(name))
	}
	// OpenOs also registered the full library as loaded: require must hand out the safe one.
	if loaded, ok := l.GetField(l.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		loaded.RawSetString(lua.OsLibName, safe)
	}
	l.Push(safe)
	return 1
}

func runHealth(script string, object map[string]any) (any, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	l.PreloadModule(lua.OsLibName, loadSafeOs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	returned := l.Get(-1)
	table, ok := returned.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", returned.Type().String())
	}
	return fromLua(table), nil
}

// toLua converts decoded JSON to Lua values: objects and arrays become tables (arrays from index
// 1), JSON null becomes nil (the key is absent in Lua).
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return lua.LString(v.String())
		}
		return lua.LNumber(f)
	case []any:
		table := l.NewTable()
		for _, item := range v {
			table.Append(toLua(l, item))
		}
		return table
	case map[string]any:
		table := l.NewTable()
		for key, item := range v {
			table.RawSetString(key, toLua(l, item))
		}
		return table
	default:
		return lua.LString(fmt.Sprint(v))
	}
}

// fromLua converts a returned table to JSON-ready values: a table with only keys 1..n becomes an
// array, any other table an object with string keys (encoding/json sorts the keys).
func fromLua(value lua.LValue) any {
	switch v := value.(type) {
	case *lua.LTable:
		n := v.MaxN()
		keys := 0
		v.ForEach(func(_, _ lua.LValue) { keys++ })
		if n > 0 && keys == n {
			array := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				array = append(array, fromLua(v.RawGetInt(i)))
			}
			return array
		}
		object := map[string]any{}
		v.ForEach(func(key, item lua.LValue) {
			object[key.String()] = fromLua(item)
		})
		return object
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	default:
		if value == lua.LNil {
			return nil
		}
		return value.String()
	}
}
