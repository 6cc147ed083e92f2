"""The portal's pages, grouped by what the person does: log in and out (`login`), find an event
app (`events`), ask for its report (`report`), download it (`downloads`). `page` does what every
page needs first."""
