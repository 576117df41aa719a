"""Forms of the browser UI. They parse and present input only: every write
goes through a service, which validates again and raises field errors."""
