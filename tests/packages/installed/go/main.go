// A Go program as a user of the golang-tlsplug-dev package builds it: the
// module's source from /usr/share/gocode/src (go.mod's replace), cgo
// flags from the installed tlsplug.pc, the library from the system.
// Connects to ADDR trusting CA, sends a line, prints the echo.
// usage: client ADDR CA
package main

import (
	"bufio"
	"fmt"
	"os"

	"tlsplug.dev/tlsplug"
)

func main() {
	ca, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Println("go:", err)
		os.Exit(1)
	}
	c, err := tlsplug.Dial("tcp", os.Args[1], &tlsplug.Config{CA: [][]byte{ca}, ServerName: "localhost"})
	if err != nil {
		fmt.Println("go:", err)
		os.Exit(1)
	}
	defer c.Close()
	line := "hello from go\n"
	if _, err := c.Write([]byte(line)); err != nil {
		fmt.Println("go:", err)
		os.Exit(1)
	}
	r := bufio.NewReader(c)
	for {
		got, err := r.ReadString('\n')
		if err != nil {
			fmt.Println("go:", err)
			os.Exit(1)
		}
		if got == line {
			fmt.Printf("go: authorized=%v echo=true\n", c.Authorized())
			return
		}
	}
}
