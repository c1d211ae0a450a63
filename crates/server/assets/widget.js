// Witzo chat widget: the visitor-facing chat that owners embed on their sites.
//
// Each <script> tag that loads this file mounts one independent widget,
// configured by the tag's data-witzo-* attributes. All UI lives in an open
// shadow root of a <witzo-chat> element so the host page's CSS cannot reach
// it. Untrusted text (answers, titles, config strings, errors) only ever
// enters the DOM through text nodes: there is no innerHTML anywhere here.
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script) return; // Without our own tag we cannot know the key or API.

  const TAG = "witzo-chat";
  const MAX_MESSAGE_CHARS = 2000;
  const MAX_STORED_MESSAGES = 50;
  const DEFAULT_COLOR = "#2563eb";
  // Non-ASCII only as escapes: the file may be decoded with the host page's charset.
  // The widget's own words in every language its language setting offers
  // (the dashboard lists these); other tags fall back to English.
  const STRINGS = {
    en: {
      chat: "Chat", open: "Open chat", close: "Close chat", newConversation: "New conversation", send: "Send",
      placeholder: "Type your message\u2026", loading: "Loading\u2026", typing: "Typing\u2026",
      sources: "Sources", source: "Source", helpful: "Helpful", notHelpful: "Not helpful",
      whatWrong: "What was wrong? (optional)", thanksFeedback: "Thanks for your feedback.",
      tryAgain: "Try again", poweredBy: "Powered by Witzo",
      notAvailable: "This chat is not available on this website.",
      unavailable: "This chat is currently unavailable.",
      tooFast1: "You are sending messages too quickly. Please wait {n} second.",
      tooFastN: "You are sending messages too quickly. Please wait {n} seconds.",
      limitReached: "This chat has reached its limit for now.",
      offline: "You appear to be offline. Check your connection and try again.",
      generic: "Something went wrong. Please try again.",
      waitAnswer: "Please wait until the answer is complete.", typeFirst: "Please type a message first.",
      tooLong: "Your message is too long ({length} characters). The limit is {max}.",
      leadIntro: "Leave your contact details and we will get back to you.", name: "Name", email: "Email",
      phone: "Phone", company: "Company", message: "Message", noThanks: "No thanks",
      fillOne: "Please fill in at least one field.",
      leadThanks: "Thank you! We have received your details and will be in touch.",
    },
    de: {
      chat: "Chat", open: "Chat \u00f6ffnen", close: "Chat schlie\u00dfen",
      newConversation: "Neues Gespr\u00e4ch", send: "Senden", placeholder: "Nachricht eingeben\u2026",
      loading: "Wird geladen\u2026", typing: "Schreibt\u2026", sources: "Quellen", source: "Quelle",
      helpful: "Hilfreich", notHelpful: "Nicht hilfreich", whatWrong: "Was war falsch? (optional)",
      thanksFeedback: "Danke f\u00fcr Ihr Feedback.", tryAgain: "Erneut versuchen",
      poweredBy: "Bereitgestellt von Witzo",
      notAvailable: "Dieser Chat ist auf dieser Website nicht verf\u00fcgbar.",
      unavailable: "Dieser Chat ist derzeit nicht verf\u00fcgbar.",
      tooFast1: "Sie senden Nachrichten zu schnell. Bitte warten Sie {n} Sekunde.",
      tooFastN: "Sie senden Nachrichten zu schnell. Bitte warten Sie {n} Sekunden.",
      limitReached: "Dieser Chat hat sein Limit vorerst erreicht.",
      offline: "Sie scheinen offline zu sein. Pr\u00fcfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
      waitAnswer: "Bitte warten Sie, bis die Antwort vollst\u00e4ndig ist.",
      typeFirst: "Bitte geben Sie zuerst eine Nachricht ein.",
      tooLong: "Ihre Nachricht ist zu lang ({length} Zeichen). Erlaubt sind {max}.",
      leadIntro: "Hinterlassen Sie Ihre Kontaktdaten, wir melden uns bei Ihnen.", name: "Name",
      email: "E-Mail", phone: "Telefon", company: "Firma", message: "Nachricht", noThanks: "Nein danke",
      fillOne: "Bitte f\u00fcllen Sie mindestens ein Feld aus.",
      leadThanks: "Vielen Dank! Wir haben Ihre Angaben erhalten und melden uns.",
    },
    fr: {
      chat: "Chat", open: "Ouvrir le chat", close: "Fermer le chat", newConversation: "Nouvelle conversation",
      send: "Envoyer", placeholder: "\u00c9crivez votre message\u2026", loading: "Chargement\u2026",
      typing: "R\u00e9daction\u2026", sources: "Sources", source: "Source", helpful: "Utile",
      notHelpful: "Pas utile", whatWrong: "Qu\u2019est-ce qui n\u2019allait pas ? (facultatif)",
      thanksFeedback: "Merci pour votre avis.", tryAgain: "R\u00e9essayer",
      poweredBy: "Propuls\u00e9 par Witzo", notAvailable: "Ce chat n\u2019est pas disponible sur ce site.",
      unavailable: "Ce chat est momentan\u00e9ment indisponible.",
      tooFast1: "Vous envoyez des messages trop vite. Veuillez patienter {n} seconde.",
      tooFastN: "Vous envoyez des messages trop vite. Veuillez patienter {n} secondes.",
      limitReached: "Ce chat a atteint sa limite pour le moment.",
      offline: "Vous semblez hors ligne. V\u00e9rifiez votre connexion et r\u00e9essayez.",
      generic: "Une erreur s\u2019est produite. Veuillez r\u00e9essayer.",
      waitAnswer: "Veuillez attendre la fin de la r\u00e9ponse.",
      typeFirst: "Veuillez d\u2019abord \u00e9crire un message.",
      tooLong: "Votre message est trop long ({length} caract\u00e8res). La limite est de {max}.",
      leadIntro: "Laissez vos coordonn\u00e9es et nous vous recontacterons.", name: "Nom", email: "E-mail",
      phone: "T\u00e9l\u00e9phone", company: "Entreprise", message: "Message", noThanks: "Non merci",
      fillOne: "Veuillez remplir au moins un champ.",
      leadThanks: "Merci ! Nous avons bien re\u00e7u vos coordonn\u00e9es et vous recontacterons.",
    },
    es: {
      chat: "Chat", open: "Abrir chat", close: "Cerrar chat", newConversation: "Nueva conversaci\u00f3n",
      send: "Enviar", placeholder: "Escribe tu mensaje\u2026", loading: "Cargando\u2026",
      typing: "Escribiendo\u2026", sources: "Fuentes", source: "Fuente", helpful: "\u00datil",
      notHelpful: "No \u00fatil", whatWrong: "\u00bfQu\u00e9 estuvo mal? (opcional)",
      thanksFeedback: "Gracias por tu opini\u00f3n.", tryAgain: "Reintentar",
      poweredBy: "Con la tecnolog\u00eda de Witzo",
      notAvailable: "Este chat no est\u00e1 disponible en este sitio web.",
      unavailable: "Este chat no est\u00e1 disponible en este momento.",
      tooFast1: "Est\u00e1s enviando mensajes demasiado r\u00e1pido. Espera {n} segundo.",
      tooFastN: "Est\u00e1s enviando mensajes demasiado r\u00e1pido. Espera {n} segundos.",
      limitReached: "Este chat ha alcanzado su l\u00edmite por ahora.",
      offline: "Parece que no tienes conexi\u00f3n. Compru\u00e9bala e int\u00e9ntalo de nuevo.",
      generic: "Algo sali\u00f3 mal. Int\u00e9ntalo de nuevo.",
      waitAnswer: "Espera a que la respuesta est\u00e9 completa.", typeFirst: "Escribe primero un mensaje.",
      tooLong: "Tu mensaje es demasiado largo ({length} caracteres). El l\u00edmite es {max}.",
      leadIntro: "D\u00e9janos tus datos de contacto y te responderemos.", name: "Nombre",
      email: "Correo electr\u00f3nico", phone: "Tel\u00e9fono", company: "Empresa", message: "Mensaje",
      noThanks: "No, gracias", fillOne: "Rellena al menos un campo.",
      leadThanks: "\u00a1Gracias! Hemos recibido tus datos y nos pondremos en contacto contigo.",
    },
    it: {
      chat: "Chat", open: "Apri la chat", close: "Chiudi la chat", newConversation: "Nuova conversazione",
      send: "Invia", placeholder: "Scrivi il tuo messaggio\u2026", loading: "Caricamento\u2026",
      typing: "Sta scrivendo\u2026", sources: "Fonti", source: "Fonte", helpful: "Utile",
      notHelpful: "Non utile", whatWrong: "Cosa non andava? (facoltativo)",
      thanksFeedback: "Grazie per il tuo feedback.", tryAgain: "Riprova", poweredBy: "Realizzato con Witzo",
      notAvailable: "Questa chat non \u00e8 disponibile su questo sito.",
      unavailable: "Questa chat al momento non \u00e8 disponibile.",
      tooFast1: "Stai inviando messaggi troppo velocemente. Attendi {n} secondo.",
      tooFastN: "Stai inviando messaggi troppo velocemente. Attendi {n} secondi.",
      limitReached: "Questa chat ha raggiunto il suo limite per ora.",
      offline: "Sembra che tu sia offline. Controlla la connessione e riprova.",
      generic: "Qualcosa \u00e8 andato storto. Riprova.", waitAnswer: "Attendi che la risposta sia completa.",
      typeFirst: "Scrivi prima un messaggio.",
      tooLong: "Il messaggio \u00e8 troppo lungo ({length} caratteri). Il limite \u00e8 {max}.",
      leadIntro: "Lascia i tuoi recapiti e ti ricontatteremo.", name: "Nome", email: "E-mail",
      phone: "Telefono", company: "Azienda", message: "Messaggio", noThanks: "No, grazie",
      fillOne: "Compila almeno un campo.",
      leadThanks: "Grazie! Abbiamo ricevuto i tuoi dati e ti ricontatteremo.",
    },
    nl: {
      chat: "Chat", open: "Chat openen", close: "Chat sluiten", newConversation: "Nieuw gesprek",
      send: "Versturen", placeholder: "Typ je bericht\u2026", loading: "Laden\u2026", typing: "Typt\u2026",
      sources: "Bronnen", source: "Bron", helpful: "Nuttig", notHelpful: "Niet nuttig",
      whatWrong: "Wat was er mis? (optioneel)", thanksFeedback: "Bedankt voor je feedback.",
      tryAgain: "Opnieuw proberen", poweredBy: "Mogelijk gemaakt door Witzo",
      notAvailable: "Deze chat is niet beschikbaar op deze website.",
      unavailable: "Deze chat is momenteel niet beschikbaar.",
      tooFast1: "Je verstuurt te snel berichten. Wacht {n} seconde.",
      tooFastN: "Je verstuurt te snel berichten. Wacht {n} seconden.",
      limitReached: "Deze chat heeft voorlopig zijn limiet bereikt.",
      offline: "Je lijkt offline te zijn. Controleer je verbinding en probeer het opnieuw.",
      generic: "Er ging iets mis. Probeer het opnieuw.", waitAnswer: "Wacht tot het antwoord compleet is.",
      typeFirst: "Typ eerst een bericht.",
      tooLong: "Je bericht is te lang ({length} tekens). De limiet is {max}.",
      leadIntro: "Laat je contactgegevens achter, dan nemen we contact met je op.", name: "Naam",
      email: "E-mail", phone: "Telefoon", company: "Bedrijf", message: "Bericht", noThanks: "Nee, bedankt",
      fillOne: "Vul ten minste \u00e9\u00e9n veld in.",
      leadThanks: "Bedankt! We hebben je gegevens ontvangen en nemen contact met je op.",
    },
    pt: {
      chat: "Chat", open: "Abrir chat", close: "Fechar chat", newConversation: "Nova conversa",
      send: "Enviar", placeholder: "Escreva a sua mensagem\u2026", loading: "A carregar\u2026",
      typing: "A escrever\u2026", sources: "Fontes", source: "Fonte", helpful: "\u00datil",
      notHelpful: "N\u00e3o \u00fatil", whatWrong: "O que estava errado? (opcional)",
      thanksFeedback: "Obrigado pelo seu feedback.", tryAgain: "Tentar novamente",
      poweredBy: "Com tecnologia Witzo",
      notAvailable: "Este chat n\u00e3o est\u00e1 dispon\u00edvel neste site.",
      unavailable: "Este chat est\u00e1 indispon\u00edvel de momento.",
      tooFast1: "Est\u00e1 a enviar mensagens depressa demais. Aguarde {n} segundo.",
      tooFastN: "Est\u00e1 a enviar mensagens depressa demais. Aguarde {n} segundos.",
      limitReached: "Este chat atingiu o seu limite por agora.",
      offline: "Parece estar offline. Verifique a liga\u00e7\u00e3o e tente novamente.",
      generic: "Algo correu mal. Tente novamente.", waitAnswer: "Aguarde at\u00e9 a resposta estar completa.",
      typeFirst: "Escreva primeiro uma mensagem.",
      tooLong: "A sua mensagem \u00e9 demasiado longa ({length} caracteres). O limite \u00e9 {max}.",
      leadIntro: "Deixe os seus contactos e entraremos em contacto consigo.", name: "Nome", email: "E-mail",
      phone: "Telefone", company: "Empresa", message: "Mensagem", noThanks: "N\u00e3o, obrigado",
      fillOne: "Preencha pelo menos um campo.",
      leadThanks: "Obrigado! Recebemos os seus dados e entraremos em contacto.",
    },
    pl: {
      chat: "Czat", open: "Otw\u00f3rz czat", close: "Zamknij czat", newConversation: "Nowa rozmowa",
      send: "Wy\u015blij", placeholder: "Wpisz wiadomo\u015b\u0107\u2026", loading: "\u0141adowanie\u2026",
      typing: "Pisze\u2026", sources: "\u0179r\u00f3d\u0142a", source: "\u0179r\u00f3d\u0142o",
      helpful: "Pomocne", notHelpful: "Niepomocne", whatWrong: "Co by\u0142o nie tak? (opcjonalnie)",
      thanksFeedback: "Dzi\u0119kujemy za opini\u0119.", tryAgain: "Spr\u00f3buj ponownie",
      poweredBy: "Obs\u0142ugiwane przez Witzo",
      notAvailable: "Ten czat nie jest dost\u0119pny na tej stronie.",
      unavailable: "Ten czat jest obecnie niedost\u0119pny.",
      tooFast1: "Wysy\u0142asz wiadomo\u015bci zbyt szybko. Odczekaj {n} s.",
      tooFastN: "Wysy\u0142asz wiadomo\u015bci zbyt szybko. Odczekaj {n} s.",
      limitReached: "Ten czat osi\u0105gn\u0105\u0142 na razie sw\u00f3j limit.",
      offline: "Wygl\u0105da na to, \u017ce jeste\u015b offline. Sprawd\u017a po\u0142\u0105czenie i spr\u00f3buj ponownie.",
      generic: "Co\u015b posz\u0142o nie tak. Spr\u00f3buj ponownie.",
      waitAnswer: "Poczekaj, a\u017c odpowied\u017a b\u0119dzie kompletna.",
      typeFirst: "Najpierw wpisz wiadomo\u015b\u0107.",
      tooLong: "Wiadomo\u015b\u0107 jest za d\u0142uga ({length} znak\u00f3w). Limit to {max}.",
      leadIntro: "Zostaw dane kontaktowe, a odezwiemy si\u0119 do Ciebie.", name: "Imi\u0119 i nazwisko",
      email: "E-mail", phone: "Telefon", company: "Firma", message: "Wiadomo\u015b\u0107",
      noThanks: "Nie, dzi\u0119kuj\u0119", fillOne: "Wype\u0142nij co najmniej jedno pole.",
      leadThanks: "Dzi\u0119kujemy! Otrzymali\u015bmy Twoje dane i skontaktujemy si\u0119 z Tob\u0105.",
    },
    sv: {
      chat: "Chatt", open: "\u00d6ppna chatten", close: "St\u00e4ng chatten",
      newConversation: "Ny konversation", send: "Skicka", placeholder: "Skriv ditt meddelande\u2026",
      loading: "Laddar\u2026", typing: "Skriver\u2026", sources: "K\u00e4llor", source: "K\u00e4lla",
      helpful: "Hj\u00e4lpsamt", notHelpful: "Inte hj\u00e4lpsamt", whatWrong: "Vad var fel? (valfritt)",
      thanksFeedback: "Tack f\u00f6r din feedback.", tryAgain: "F\u00f6rs\u00f6k igen",
      poweredBy: "Drivs av Witzo",
      notAvailable: "Den h\u00e4r chatten \u00e4r inte tillg\u00e4nglig p\u00e5 den h\u00e4r webbplatsen.",
      unavailable: "Den h\u00e4r chatten \u00e4r inte tillg\u00e4nglig just nu.",
      tooFast1: "Du skickar meddelanden f\u00f6r snabbt. V\u00e4nta {n} sekund.",
      tooFastN: "Du skickar meddelanden f\u00f6r snabbt. V\u00e4nta {n} sekunder.",
      limitReached: "Den h\u00e4r chatten har n\u00e5tt sin gr\u00e4ns f\u00f6r tillf\u00e4llet.",
      offline: "Du verkar vara offline. Kontrollera anslutningen och f\u00f6rs\u00f6k igen.",
      generic: "N\u00e5got gick fel. F\u00f6rs\u00f6k igen.",
      waitAnswer: "V\u00e4nta tills svaret \u00e4r klart.", typeFirst: "Skriv ett meddelande f\u00f6rst.",
      tooLong: "Ditt meddelande \u00e4r f\u00f6r l\u00e5ngt ({length} tecken). Gr\u00e4nsen \u00e4r {max}.",
      leadIntro: "L\u00e4mna dina kontaktuppgifter s\u00e5 h\u00f6r vi av oss.", name: "Namn",
      email: "E-post", phone: "Telefon", company: "F\u00f6retag", message: "Meddelande", noThanks: "Nej tack",
      fillOne: "Fyll i minst ett f\u00e4lt.",
      leadThanks: "Tack! Vi har tagit emot dina uppgifter och h\u00f6r av oss.",
    },
    tr: {
      chat: "Sohbet", open: "Sohbeti a\u00e7", close: "Sohbeti kapat", newConversation: "Yeni sohbet",
      send: "G\u00f6nder", placeholder: "Mesaj\u0131n\u0131z\u0131 yaz\u0131n\u2026",
      loading: "Y\u00fckleniyor\u2026", typing: "Yaz\u0131yor\u2026", sources: "Kaynaklar", source: "Kaynak",
      helpful: "Faydal\u0131", notHelpful: "Faydal\u0131 de\u011fil",
      whatWrong: "Sorun neydi? (iste\u011fe ba\u011fl\u0131)",
      thanksFeedback: "Geri bildiriminiz i\u00e7in te\u015fekk\u00fcrler.", tryAgain: "Tekrar dene",
      poweredBy: "Witzo taraf\u0131ndan desteklenmektedir",
      notAvailable: "Bu sohbet bu web sitesinde kullan\u0131lam\u0131yor.",
      unavailable: "Bu sohbet \u015fu anda kullan\u0131lam\u0131yor.",
      tooFast1: "\u00c7ok h\u0131zl\u0131 mesaj g\u00f6nderiyorsunuz. L\u00fctfen {n} saniye bekleyin.",
      tooFastN: "\u00c7ok h\u0131zl\u0131 mesaj g\u00f6nderiyorsunuz. L\u00fctfen {n} saniye bekleyin.",
      limitReached: "Bu sohbet \u015fimdilik s\u0131n\u0131r\u0131na ula\u015ft\u0131.",
      offline: "\u00c7evrimd\u0131\u015f\u0131 g\u00f6r\u00fcn\u00fcyorsunuz. Ba\u011flant\u0131n\u0131z\u0131 kontrol edip tekrar deneyin.",
      generic: "Bir \u015feyler ters gitti. L\u00fctfen tekrar deneyin.",
      waitAnswer: "L\u00fctfen yan\u0131t tamamlanana kadar bekleyin.",
      typeFirst: "L\u00fctfen \u00f6nce bir mesaj yaz\u0131n.",
      tooLong: "Mesaj\u0131n\u0131z \u00e7ok uzun ({length} karakter). S\u0131n\u0131r {max}.",
      leadIntro: "\u0130leti\u015fim bilgilerinizi b\u0131rak\u0131n, size geri d\u00f6nelim.", name: "Ad",
      email: "E-posta", phone: "Telefon", company: "\u015eirket", message: "Mesaj",
      noThanks: "Hay\u0131r, te\u015fekk\u00fcrler", fillOne: "L\u00fctfen en az bir alan\u0131 doldurun.",
      leadThanks: "Te\u015fekk\u00fcrler! Bilgilerinizi ald\u0131k, sizinle ileti\u015fime ge\u00e7ece\u011fiz.",
    },
    ar: {
      chat: "\u0627\u0644\u062f\u0631\u062f\u0634\u0629",
      open: "\u0641\u062a\u062d \u0627\u0644\u062f\u0631\u062f\u0634\u0629",
      close: "\u0625\u063a\u0644\u0627\u0642 \u0627\u0644\u062f\u0631\u062f\u0634\u0629",
      newConversation: "\u0645\u062d\u0627\u062f\u062b\u0629 \u062c\u062f\u064a\u062f\u0629",
      send: "\u0625\u0631\u0633\u0627\u0644",
      placeholder: "\u0627\u0643\u062a\u0628 \u0631\u0633\u0627\u0644\u062a\u0643\u2026",
      loading: "\u062c\u0627\u0631\u064d \u0627\u0644\u062a\u062d\u0645\u064a\u0644\u2026",
      typing: "\u064a\u0643\u062a\u0628\u2026", sources: "\u0627\u0644\u0645\u0635\u0627\u062f\u0631",
      source: "\u0627\u0644\u0645\u0635\u062f\u0631", helpful: "\u0645\u0641\u064a\u062f",
      notHelpful: "\u063a\u064a\u0631 \u0645\u0641\u064a\u062f",
      whatWrong: "\u0645\u0627 \u0627\u0644\u062e\u0637\u0623\u061f (\u0627\u062e\u062a\u064a\u0627\u0631\u064a)",
      thanksFeedback: "\u0634\u0643\u0631\u064b\u0627 \u0639\u0644\u0649 \u0645\u0644\u0627\u062d\u0638\u0627\u062a\u0643.",
      tryAgain: "\u062d\u0627\u0648\u0644 \u0645\u0631\u0629 \u0623\u062e\u0631\u0649",
      poweredBy: "\u0645\u062f\u0639\u0648\u0645 \u0645\u0646 Witzo",
      notAvailable: "\u0647\u0630\u0647 \u0627\u0644\u062f\u0631\u062f\u0634\u0629 \u063a\u064a\u0631 \u0645\u062a\u0627\u062d\u0629 \u0639\u0644\u0649 \u0647\u0630\u0627 \u0627\u0644\u0645\u0648\u0642\u0639.",
      unavailable: "\u0647\u0630\u0647 \u0627\u0644\u062f\u0631\u062f\u0634\u0629 \u063a\u064a\u0631 \u0645\u062a\u0627\u062d\u0629 \u062d\u0627\u0644\u064a\u064b\u0627.",
      tooFast1: "\u0623\u0646\u062a \u062a\u0631\u0633\u0644 \u0627\u0644\u0631\u0633\u0627\u0626\u0644 \u0628\u0633\u0631\u0639\u0629 \u0643\u0628\u064a\u0631\u0629. \u064a\u064f\u0631\u062c\u0649 \u0627\u0644\u0627\u0646\u062a\u0638\u0627\u0631 {n} \u062b\u0627\u0646\u064a\u0629.",
      tooFastN: "\u0623\u0646\u062a \u062a\u0631\u0633\u0644 \u0627\u0644\u0631\u0633\u0627\u0626\u0644 \u0628\u0633\u0631\u0639\u0629 \u0643\u0628\u064a\u0631\u0629. \u064a\u064f\u0631\u062c\u0649 \u0627\u0644\u0627\u0646\u062a\u0638\u0627\u0631 {n} \u062b\u0627\u0646\u064a\u0629.",
      limitReached: "\u0628\u0644\u063a\u062a \u0647\u0630\u0647 \u0627\u0644\u062f\u0631\u062f\u0634\u0629 \u062d\u062f\u0647\u0627 \u0641\u064a \u0627\u0644\u0648\u0642\u062a \u0627\u0644\u062d\u0627\u0644\u064a.",
      offline: "\u064a\u0628\u062f\u0648 \u0623\u0646\u0643 \u063a\u064a\u0631 \u0645\u062a\u0635\u0644 \u0628\u0627\u0644\u0625\u0646\u062a\u0631\u0646\u062a. \u062a\u062d\u0642\u0642 \u0645\u0646 \u0627\u062a\u0635\u0627\u0644\u0643 \u0648\u062d\u0627\u0648\u0644 \u0645\u0631\u0629 \u0623\u062e\u0631\u0649.",
      generic: "\u062d\u062f\u062b \u062e\u0637\u0623 \u0645\u0627. \u064a\u064f\u0631\u062c\u0649 \u0627\u0644\u0645\u062d\u0627\u0648\u0644\u0629 \u0645\u0631\u0629 \u0623\u062e\u0631\u0649.",
      waitAnswer: "\u064a\u064f\u0631\u062c\u0649 \u0627\u0644\u0627\u0646\u062a\u0638\u0627\u0631 \u062d\u062a\u0649 \u062a\u0643\u062a\u0645\u0644 \u0627\u0644\u0625\u062c\u0627\u0628\u0629.",
      typeFirst: "\u064a\u064f\u0631\u062c\u0649 \u0643\u062a\u0627\u0628\u0629 \u0631\u0633\u0627\u0644\u0629 \u0623\u0648\u0644\u064b\u0627.",
      tooLong: "\u0631\u0633\u0627\u0644\u062a\u0643 \u0637\u0648\u064a\u0644\u0629 \u062c\u062f\u064b\u0627 ({length} \u062d\u0631\u0641\u064b\u0627). \u0627\u0644\u062d\u062f \u0627\u0644\u0623\u0642\u0635\u0649 {max}.",
      leadIntro: "\u0627\u062a\u0631\u0643 \u0628\u064a\u0627\u0646\u0627\u062a \u0627\u0644\u062a\u0648\u0627\u0635\u0644 \u0627\u0644\u062e\u0627\u0635\u0629 \u0628\u0643 \u0648\u0633\u0646\u0639\u0627\u0648\u062f \u0627\u0644\u0627\u062a\u0635\u0627\u0644 \u0628\u0643.",
      name: "\u0627\u0644\u0627\u0633\u0645",
      email: "\u0627\u0644\u0628\u0631\u064a\u062f \u0627\u0644\u0625\u0644\u0643\u062a\u0631\u0648\u0646\u064a",
      phone: "\u0627\u0644\u0647\u0627\u062a\u0641", company: "\u0627\u0644\u0634\u0631\u0643\u0629",
      message: "\u0627\u0644\u0631\u0633\u0627\u0644\u0629",
      noThanks: "\u0644\u0627\u060c \u0634\u0643\u0631\u064b\u0627",
      fillOne: "\u064a\u064f\u0631\u062c\u0649 \u0645\u0644\u0621 \u062d\u0642\u0644 \u0648\u0627\u062d\u062f \u0639\u0644\u0649 \u0627\u0644\u0623\u0642\u0644.",
      leadThanks: "\u0634\u0643\u0631\u064b\u0627 \u0644\u0643! \u0644\u0642\u062f \u0627\u0633\u062a\u0644\u0645\u0646\u0627 \u0628\u064a\u0627\u0646\u0627\u062a\u0643 \u0648\u0633\u0646\u062a\u0648\u0627\u0635\u0644 \u0645\u0639\u0643.",
    },
    he: {
      chat: "\u05e6\u05f3\u05d0\u05d8", open: "\u05e4\u05ea\u05d9\u05d7\u05ea \u05d4\u05e6\u05f3\u05d0\u05d8",
      close: "\u05e1\u05d2\u05d9\u05e8\u05ea \u05d4\u05e6\u05f3\u05d0\u05d8",
      newConversation: "\u05e9\u05d9\u05d7\u05d4 \u05d7\u05d3\u05e9\u05d4",
      send: "\u05e9\u05dc\u05d9\u05d7\u05d4",
      placeholder: "\u05d4\u05e7\u05dc\u05d9\u05d3\u05d5 \u05d4\u05d5\u05d3\u05e2\u05d4\u2026",
      loading: "\u05d8\u05d5\u05e2\u05df\u2026", typing: "\u05de\u05e7\u05dc\u05d9\u05d3\u2026",
      sources: "\u05de\u05e7\u05d5\u05e8\u05d5\u05ea", source: "\u05de\u05e7\u05d5\u05e8",
      helpful: "\u05de\u05d5\u05e2\u05d9\u05dc", notHelpful: "\u05dc\u05d0 \u05de\u05d5\u05e2\u05d9\u05dc",
      whatWrong: "\u05de\u05d4 \u05d4\u05d9\u05d4 \u05dc\u05d0 \u05d1\u05e1\u05d3\u05e8? (\u05dc\u05d0 \u05d7\u05d5\u05d1\u05d4)",
      thanksFeedback: "\u05ea\u05d5\u05d3\u05d4 \u05e2\u05dc \u05d4\u05de\u05e9\u05d5\u05d1.",
      tryAgain: "\u05e0\u05d9\u05e1\u05d9\u05d5\u05df \u05e0\u05d5\u05e1\u05e3",
      poweredBy: "\u05de\u05d5\u05e4\u05e2\u05dc \u05e2\u05dc \u05d9\u05d3\u05d9 Witzo",
      notAvailable: "\u05d4\u05e6\u05f3\u05d0\u05d8 \u05d4\u05d6\u05d4 \u05d0\u05d9\u05e0\u05d5 \u05d6\u05de\u05d9\u05df \u05d1\u05d0\u05ea\u05e8 \u05d6\u05d4.",
      unavailable: "\u05d4\u05e6\u05f3\u05d0\u05d8 \u05d4\u05d6\u05d4 \u05d0\u05d9\u05e0\u05d5 \u05d6\u05de\u05d9\u05df \u05db\u05e8\u05d2\u05e2.",
      tooFast1: "\u05d0\u05ea\u05dd \u05e9\u05d5\u05dc\u05d7\u05d9\u05dd \u05d4\u05d5\u05d3\u05e2\u05d5\u05ea \u05de\u05d4\u05e8 \u05de\u05d3\u05d9. \u05e0\u05d0 \u05dc\u05d4\u05de\u05ea\u05d9\u05df {n} \u05e9\u05e0\u05d9\u05d5\u05ea.",
      tooFastN: "\u05d0\u05ea\u05dd \u05e9\u05d5\u05dc\u05d7\u05d9\u05dd \u05d4\u05d5\u05d3\u05e2\u05d5\u05ea \u05de\u05d4\u05e8 \u05de\u05d3\u05d9. \u05e0\u05d0 \u05dc\u05d4\u05de\u05ea\u05d9\u05df {n} \u05e9\u05e0\u05d9\u05d5\u05ea.",
      limitReached: "\u05d4\u05e6\u05f3\u05d0\u05d8 \u05d4\u05d6\u05d4 \u05d4\u05d2\u05d9\u05e2 \u05dc\u05de\u05d2\u05d1\u05dc\u05d4 \u05e9\u05dc\u05d5 \u05dc\u05e2\u05ea \u05e2\u05ea\u05d4.",
      offline: "\u05e0\u05e8\u05d0\u05d4 \u05e9\u05d0\u05d9\u05df \u05d7\u05d9\u05d1\u05d5\u05e8 \u05dc\u05d0\u05d9\u05e0\u05d8\u05e8\u05e0\u05d8. \u05d1\u05d3\u05e7\u05d5 \u05d0\u05ea \u05d4\u05d7\u05d9\u05d1\u05d5\u05e8 \u05d5\u05e0\u05e1\u05d5 \u05e9\u05d5\u05d1.",
      generic: "\u05de\u05e9\u05d4\u05d5 \u05d4\u05e9\u05ea\u05d1\u05e9. \u05e0\u05d0 \u05dc\u05e0\u05e1\u05d5\u05ea \u05e9\u05d5\u05d1.",
      waitAnswer: "\u05e0\u05d0 \u05dc\u05d4\u05de\u05ea\u05d9\u05df \u05e2\u05d3 \u05e9\u05d4\u05ea\u05e9\u05d5\u05d1\u05d4 \u05ea\u05d5\u05e9\u05dc\u05dd.",
      typeFirst: "\u05e0\u05d0 \u05dc\u05d4\u05e7\u05dc\u05d9\u05d3 \u05d4\u05d5\u05d3\u05e2\u05d4 \u05e7\u05d5\u05d3\u05dd.",
      tooLong: "\u05d4\u05d4\u05d5\u05d3\u05e2\u05d4 \u05d0\u05e8\u05d5\u05db\u05d4 \u05de\u05d3\u05d9 ({length} \u05ea\u05d5\u05d5\u05d9\u05dd). \u05d4\u05de\u05d2\u05d1\u05dc\u05d4 \u05d4\u05d9\u05d0 {max}.",
      leadIntro: "\u05d4\u05e9\u05d0\u05d9\u05e8\u05d5 \u05e4\u05e8\u05d8\u05d9 \u05e7\u05e9\u05e8 \u05d5\u05e0\u05d7\u05d6\u05d5\u05e8 \u05d0\u05dc\u05d9\u05db\u05dd.",
      name: "\u05e9\u05dd", email: "\u05d0\u05d9\u05de\u05d9\u05d9\u05dc",
      phone: "\u05d8\u05dc\u05e4\u05d5\u05df", company: "\u05d7\u05d1\u05e8\u05d4",
      message: "\u05d4\u05d5\u05d3\u05e2\u05d4", noThanks: "\u05dc\u05d0 \u05ea\u05d5\u05d3\u05d4",
      fillOne: "\u05e0\u05d0 \u05dc\u05de\u05dc\u05d0 \u05dc\u05e4\u05d7\u05d5\u05ea \u05e9\u05d3\u05d4 \u05d0\u05d7\u05d3.",
      leadThanks: "\u05ea\u05d5\u05d3\u05d4! \u05e7\u05d9\u05d1\u05dc\u05e0\u05d5 \u05d0\u05ea \u05d4\u05e4\u05e8\u05d8\u05d9\u05dd \u05e9\u05dc\u05db\u05dd \u05d5\u05e0\u05d9\u05e6\u05d5\u05e8 \u05e7\u05e9\u05e8.",
    },
  };
  const RTL_LANGUAGES = new Set(["ar", "he"]);

  /** The strings for a language tag (de-AT speaks de), English otherwise. */
  function stringsFor(tag) {
    const primary = String(tag || "").toLowerCase().split("-")[0];
    return Object.prototype.hasOwnProperty.call(STRINGS, primary) ? [primary, STRINGS[primary]] : ["en", STRINGS.en];
  }
  /** A string with {name} placeholders filled in. */
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  // Lead form fields; their labels are strings of the widget's language.
  const LEAD_FIELDS = {
    name: { type: "text", autocomplete: "name", max: 200 },
    email: { type: "email", autocomplete: "email", max: 254 },
    phone: { type: "tel", autocomplete: "tel", max: 50 },
    company: { type: "text", autocomplete: "organization", max: 200 },
    message: { textarea: true, max: 2000 },
  };
  // Codes whose server message is meant for the visitor (client mistakes).
  const VALIDATION_CODES = new Set([
    "invalid_json", "validation_failed", "message_too_long", "missing_field",
    "unknown_field", "invalid_type", "payload_too_large", "invalid_query",
  ]);
  // Codes after which the widget cannot be used on this page at all.
  const FATAL_CODES = new Set([
    "widget_domain_not_allowed", "origin_not_allowed", "widget_inactive",
    "widget_key_invalid", "origin_missing",
  ]);
  const ICONS = {
    chat: "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    send: "M2.01 21 23 12 2.01 3 2 10l15 2-15 2z",
    restart: "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.73 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
  };

  const CSS = `
:host {
  all: initial !important;
  position: fixed !important; z-index: 2147483000 !important;
  top: auto !important; left: auto !important; right: 20px !important; bottom: 20px !important;
  display: block !important; width: 56px !important; height: 56px !important;
  margin: 0 !important; padding: 0 !important; visibility: visible !important; opacity: 1 !important;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif !important;
  font-size: 15px !important; line-height: 1.45 !important; color: #1f2328 !important;
  font-weight: 400 !important; font-style: normal !important; text-align: left !important;
  direction: ltr !important; letter-spacing: normal !important; text-transform: none !important;
}
:host([dir="rtl"]) { direction: rtl !important; text-align: right !important; }
:host([data-position="left"]) { right: auto !important; left: 20px !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.wz { --wz-primary: ${DEFAULT_COLOR}; --wz-on-primary: #fff; font: inherit; color: inherit; }
button, input, textarea { font: inherit; color: inherit; margin: 0; }
button { border: 0; background: none; padding: 0; cursor: pointer; }
button:disabled { cursor: default; opacity: .5; }
:focus-visible { outline: 2px solid var(--wz-primary); outline-offset: 2px; }
svg { display: block; fill: currentColor; flex: none; }
.launcher { display: flex; align-items: center; justify-content: center; width: 56px; height: 56px;
  border-radius: 50%; background: var(--wz-primary); color: var(--wz-on-primary);
  box-shadow: 0 4px 14px rgba(0,0,0,.25); transition: transform .15s ease; }
.launcher:hover { transform: scale(1.05); }
.panel { position: absolute; bottom: 72px; right: 0; width: 370px; max-width: calc(100vw - 40px);
  height: 580px; max-height: calc(100vh - 112px); display: flex; flex-direction: column;
  background: #fff; border-radius: 14px; overflow: hidden; box-shadow: 0 10px 40px rgba(0,0,0,.22);
  animation: wz-in .18s ease-out; }
:host([data-position="left"]) .panel { right: auto; left: 0; }
@keyframes wz-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
.header { display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px;
  background: var(--wz-primary); color: var(--wz-on-primary); }
.logo { width: 28px; height: 28px; border-radius: 50%; object-fit: cover; background: #fff; }
.title { flex: 1; min-width: 0; margin: 0; font-size: 16px; font-weight: 600; line-height: 1.3;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.icon-btn { display: flex; align-items: center; justify-content: center; width: 32px; height: 32px;
  border-radius: 8px; color: inherit; }
.icon-btn:hover { background: rgba(127,127,127,.22); }
.messages { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 16px;
  display: flex; flex-direction: column; gap: 10px; background: #f6f7f9; }
.msg { display: flex; flex-direction: column; max-width: 88%; }
.msg.visitor { align-self: flex-end; }
.msg.assistant, .note { align-self: flex-start; }
.bubble { padding: 9px 12px; border-radius: 14px; overflow-wrap: anywhere; word-break: break-word; }
.visitor .bubble { background: var(--wz-primary); color: var(--wz-on-primary);
  border-bottom-right-radius: 4px; white-space: pre-wrap; }
.assistant .bubble, .note { background: #fff; border: 1px solid #e3e6ea; border-bottom-left-radius: 4px; }
.note { padding: 9px 12px; border-radius: 14px; }
.md p { margin: 0 0 .6em; }
.md ul, .md ol { margin: 0 0 .6em; padding-left: 1.4em; }
.md li { margin: .15em 0; }
.md > :last-child { margin-bottom: 0; }
.md code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em;
  background: #eef0f3; padding: .1em .3em; border-radius: 4px; }
.md a, .sources a { color: var(--wz-primary); text-decoration: underline; }
.sources { margin-top: 8px; padding-top: 6px; border-top: 1px solid #eceef1; font-size: 13px; color: #57606a; }
.sources ol { margin: 2px 0 0; padding-left: 1.4em; }
.typing { display: inline-flex; gap: 4px; padding: 4px 0; }
.typing span { width: 6px; height: 6px; border-radius: 50%; background: #9aa1a9; animation: wz-blink 1.2s infinite; }
.typing span:nth-child(2) { animation-delay: .2s; }
.typing span:nth-child(3) { animation-delay: .4s; }
@keyframes wz-blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }
.feedback { display: flex; align-items: center; gap: 2px; margin-top: 4px; color: #8a9099; }
.feedback > button { display: flex; padding: 5px; border-radius: 6px; }
.feedback > button:hover { background: #eceef1; }
.feedback > button[aria-pressed="true"] { color: var(--wz-primary); }
.reason, .lead { display: flex; gap: 6px; margin-top: 6px; }
.reason input { flex: 1; min-width: 0; }
.thanks { font-size: 13px; color: #57606a; margin-top: 4px; }
.error { background: #fff4f4; border: 1px solid #f1c4c4; color: #8a1c1c; border-radius: 10px;
  padding: 9px 12px; font-size: 14px; }
.bubble .error { margin-top: 8px; }
.error-box { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 16px 10px; background: #f6f7f9; }
.chip { border: 1px solid #d0d7de; background: #fff; border-radius: 999px; padding: 6px 12px;
  font-size: 13px; text-align: left; color: #1f2328; }
.chip:hover { border-color: var(--wz-primary); }
.hint { padding: 4px 16px 0; font-size: 12.5px; color: #b42318; background: #fff; }
.hint:empty { display: none; }
.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px;
  border-top: 1px solid #e6e8eb; background: #fff; }
.input, .field input, .field textarea, .reason input { border: 1px solid #d0d7de; border-radius: 10px;
  padding: 8px 11px; background: #fff; color: #1f2328; font-size: 15px; line-height: 1.4; outline: none; }
.input:focus, .field input:focus, .field textarea:focus, .reason input:focus { border-color: var(--wz-primary); }
.input { flex: 1; min-width: 0; resize: none; height: 40px; max-height: 120px; overflow-y: auto; }
.send { display: flex; align-items: center; justify-content: center; width: 40px; height: 40px;
  border-radius: 10px; background: var(--wz-primary); color: var(--wz-on-primary); }
.footer { padding: 5px; text-align: center; font-size: 11.5px; background: #fff; color: #6e7781; }
.footer a { color: inherit; text-decoration: none; }
.footer a:hover { text-decoration: underline; }
.lead { flex-direction: column; gap: 8px; background: #fff; border: 1px solid #e3e6ea;
  border-radius: 12px; padding: 12px; margin: 0; }
.lead p { margin: 0; }
.field { display: flex; flex-direction: column; gap: 3px; font-size: 13px; color: #57606a; }
.field textarea { resize: vertical; }
.actions { display: flex; gap: 8px; }
.btn { border: 1px solid #d0d7de; background: #fff; color: #1f2328; border-radius: 8px;
  padding: 6px 12px; font-size: 14px; }
.btn.primary { background: var(--wz-primary); border-color: var(--wz-primary); color: var(--wz-on-primary); }
@media (max-width: 479.98px) {
  .panel, :host([data-position="left"]) .panel { position: fixed; top: 8px; left: 8px; right: 8px;
    bottom: 84px; width: auto; height: auto; max-width: none; max-height: none; }
  .input { font-size: 16px; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}`;

  // ---- Small helpers -------------------------------------------------------

  /** createElement with string attributes; children are nodes or plain text. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child != null) el.append(child); // strings become text nodes
    return el;
  }

  function icon(name, size = 22) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", size], ["height", size],
      ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(k, String(v));
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  /** An absolute http(s) URL, normalised, or null. */
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  const str = (value) => (typeof value === "string" ? value.trim() : "");
  const randomHex = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  /** Web Storage that silently falls back to memory when unavailable or full. */
  function makeStore(area) {
    const memory = new Map();
    let storage = null;
    try {
      storage = window[area];
      storage.setItem("witzo:probe", "1");
      storage.removeItem("witzo:probe");
    } catch {
      storage = null;
    }
    return {
      get(k) {
        if (memory.has(k)) return memory.get(k);
        try { return storage ? storage.getItem(k) : null; } catch { return null; }
      },
      set(k, v) {
        try { if (storage) { storage.setItem(k, v); memory.delete(k); return; } } catch { /* full */ }
        memory.set(k, v);
      },
      remove(k) {
        memory.delete(k);
        try { if (storage) storage.removeItem(k); } catch { /* ignore */ }
      },
    };
  }

  /** The JSON error body of a failed response, plus Retry-After. */
  async function readError(res) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    const code = body && typeof body.code === "string" ? body.code
      : res.status === 429 ? "rate_limited" : `http_${res.status}`;
    // Retry-After is only readable cross-origin if the server exposes it.
    const retry = parseInt(res.headers.get("Retry-After") || "", 10);
    return { code, message: body && typeof body.message === "string" ? body.message : "",
      status: res.status, retryAfter: retry > 0 ? retry : 10,
      // At the plan's limit: whether the plan offers the lead form instead.
      leadForm: Boolean(body && body.lead_form === true) };
  }

  /** The visitor-facing text for an error in the strings `t`; switches on the code only. */
  function errorText(err, t) {
    switch (err.code) {
      case "widget_domain_not_allowed":
      case "origin_not_allowed":
        return t.notAvailable;
      case "widget_inactive":
      case "widget_key_invalid":
      case "origin_missing":
        return t.unavailable;
      case "rate_limited": {
        const n = err.retryAfter || 10;
        return fill(n === 1 ? t.tooFast1 : t.tooFastN, { n });
      }
      case "conversation_limit_reached":
        return t.limitReached;
      case "offline":
        return t.offline;
    }
    if (err.message && (VALIDATION_CODES.has(err.code) || [400, 413, 422].includes(err.status))) {
      return err.message;
    }
    return t.generic;
  }

  /** Reads a text/event-stream body, calling onEvent(name, data) per event. */
  async function readEventStream(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const dispatch = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue; // blank or comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return;
      let parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch { return; }
      if (parsed && typeof parsed === "object") onEvent(name, parsed);
    };
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Normalise line endings; keep a trailing CR in case its LF is in the next chunk.
      buffer = buffer.replace(/\r\n|\r(?!$)/g, "\n");
      if (done) buffer = buffer.replace(/\r$/, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
      if (done) {
        if (buffer.trim()) dispatch(buffer);
        return;
      }
    }
  }

  // ---- Safe Markdown subset to DOM -----------------------------------------

  // Inline syntax, tried left to right: `code`, **bold**, [text](url), *italic*, _italic_.
  // The _ form needs a non-word character (captured) before it, so snake_case stays text.
  const INLINE = /`([^`\n]+)`|\*\*(?=\S)([\s\S]*?\S)\*\*|\[([^[\]\n]+)\]\(\s*((?:[^()\s]|\([^()\s]*\))+)\s*\)|\*(?=[^\s*])([\s\S]*?[^\s*])\*|(^|[^A-Za-z0-9_])_(?=[^\s_])([\s\S]*?[^\s_])_(?![A-Za-z0-9_])/g;

  function appendInline(parent, text, allowLinks = true) {
    const re = new RegExp(INLINE.source, "g");
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      let start = m.index;
      if (m[7] !== undefined) start += m[6].length; // keep the char before _ as text
      if (start > last) parent.append(text.slice(last, start));
      last = re.lastIndex;
      if (m[1] !== undefined) {
        parent.append(h("code", null, m[1]));
      } else if (m[2] !== undefined) {
        const strong = h("strong");
        appendInline(strong, m[2], allowLinks);
        parent.append(strong);
      } else if (m[3] !== undefined) {
        const href = allowLinks ? safeUrl(m[4]) : null;
        if (href) {
          const a = h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" });
          appendInline(a, m[3], false);
          parent.append(a);
        } else {
          appendInline(parent, m[3], false); // unsafe or nested link: its text only
        }
      } else {
        const em = h("em");
        appendInline(em, m[5] !== undefined ? m[5] : m[7], allowLinks);
        parent.append(em);
      }
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /** Paragraphs, - / * lists, 1. lists, headings (as bold paragraphs) and inline syntax. */
  function renderMarkdown(source) {
    const frag = document.createDocumentFragment();
    let para = null;
    let list = null;
    let item = null;
    const closeBlocks = () => { para = null; list = null; item = null; };
    for (const raw of String(source).replace(/\r\n?/g, "\n").split("\n")) {
      const line = raw.trimEnd();
      let m;
      if (!line.trim()) {
        closeBlocks();
      } else if ((m = /^ {0,3}([-*]|\d{1,9}\.) +(.*)$/.exec(line))) {
        const tag = /\d/.test(m[1]) ? "ol" : "ul";
        if (!list || list.tagName.toLowerCase() !== tag) {
          para = null;
          list = frag.appendChild(h(tag));
          const start = parseInt(m[1], 10);
          if (tag === "ol" && start !== 1) list.setAttribute("start", String(start));
        }
        item = list.appendChild(h("li"));
        appendInline(item, m[2]);
      } else if (item && /^\s{2,}\S/.test(raw)) {
        item.append(h("br")); // indented continuation of a list item
        appendInline(item, line.trim());
      } else if ((m = /^ {0,3}#{1,6} +(.*)$/.exec(line))) {
        closeBlocks();
        const strong = h("strong");
        appendInline(strong, m[1].replace(/ +#+$/, ""));
        frag.append(h("p", null, strong));
      } else {
        list = null;
        item = null;
        if (para) para.append(h("br"));
        else para = frag.appendChild(h("p"));
        appendInline(para, line.trim());
      }
    }
    return frag;
  }

  // ---- One widget instance ---------------------------------------------------

  class Widget {
    constructor(opts) {
      Object.assign(this, opts); // key, api, preview, openOnLoad
      this.local = makeStore("localStorage");
      this.session = makeStore("sessionStorage");
      this.visitorKey = `witzo:${this.key}:visitor`;
      this.convKey = `witzo:${this.key}:conversation`;
      this.closedKey = `witzo:${this.key}:closed`;
      this.visitorId = this.loadVisitorId();
      this.conv = this.loadConversation();
      this.config = null;
      this.configError = null;
      this.isOpen = false;
      this.everOpened = false;
      this.openedSent = false;
      this.busy = false;
      this.abortCtl = null;
      this.leadFormEl = null;
      this.rawConfig = null;
      [this.lang, this.t] = stringsFor("en");
      this.build();
      // The dashboard's preview shows settings as they are typed.
      if (this.preview) document.addEventListener("witzo:preview", (e) => this.onPreview(e.detail));
    }

    onPreview(detail) {
      if (!detail || typeof detail !== "object") return;
      if (detail.config && typeof detail.config === "object" && this.rawConfig) {
        this.applyConfig({ ...this.rawConfig, ...detail.config }, true);
      }
      if (detail.open === true) this.open(false);
    }

    /** Takes the language's strings and sets lang and dir on the widget root. */
    setLanguage(tag) {
      [this.lang, this.t] = stringsFor(tag);
      const dir = RTL_LANGUAGES.has(this.lang) ? "rtl" : "ltr";
      for (const el of [this.host, this.root]) {
        el.setAttribute("lang", this.lang);
        el.setAttribute("dir", dir);
      }
      const t = this.t;
      this.launcher.setAttribute("aria-label", this.isOpen ? t.close : t.open);
      for (const [btn, label] of [[this.newBtn, t.newConversation], [this.closeBtn, t.close], [this.sendBtn, t.send]]) {
        btn.setAttribute("aria-label", label);
        btn.setAttribute("title", label);
      }
      this.footerLink.textContent = t.poweredBy;
    }

    loadVisitorId() {
      let id = this.local.get(this.visitorKey);
      if (!/^v_[0-9a-f]{32}$/.test(id || "")) {
        id = `v_${randomHex()}`;
        this.local.set(this.visitorKey, id);
      }
      return id;
    }

    loadConversation() {
      const empty = { conversation_id: null, messages: [], lead: null };
      let data;
      try { data = JSON.parse(this.local.get(this.convKey) || "null"); } catch { return empty; }
      if (!data || typeof data !== "object" || !Array.isArray(data.messages)) return empty;
      const text = (v) => (typeof v === "string" ? v : null);
      return {
        conversation_id: text(data.conversation_id),
        lead: data.lead === "submitted" || data.lead === "dismissed" ? data.lead : null,
        messages: data.messages.slice(-MAX_STORED_MESSAGES)
          .filter((m) => m && (m.role === "visitor" || m.role === "assistant") && typeof m.text === "string")
          .map((m) => ({
            role: m.role, text: m.text, message_id: text(m.message_id), error: text(m.error),
            rating: m.rating === "up" || m.rating === "down" ? m.rating : null,
            sources: Array.isArray(m.sources) ? m.sources.filter((s) => s && typeof s === "object") : [],
          })),
      };
    }

    saveConversation() {
      const c = this.conv;
      c.messages = c.messages.slice(-MAX_STORED_MESSAGES);
      if (!c.conversation_id && !c.messages.length && !c.lead) this.local.remove(this.convKey);
      else this.local.set(this.convKey, JSON.stringify(c));
    }

    /** An API URL: key as query parameter where wanted, preview token always. */
    url(path, withKey = true) {
      const url = new URL(this.api + path, location.href);
      if (withKey) url.searchParams.set("key", this.key);
      if (this.preview) url.searchParams.set("preview", this.preview);
      return url.href;
    }

    request(path, { body, signal, accept = "application/json", withKey = true } = {}) {
      const headers = { Accept: accept };
      if (body) headers["Content-Type"] = "application/json";
      return fetch(this.url(path, withKey), {
        method: body ? "POST" : "GET", mode: "cors", credentials: "omit",
        headers, body: body ? JSON.stringify(body) : undefined, signal,
      });
    }

    postEvent(kind) {
      this.request("/v1/events", { body: { visitor_id: this.visitorId, kind, page_url: location.href } })
        .catch(() => {}); // fire and forget
    }

    // ---- DOM construction ----

    build() {
      this.host = document.createElement(TAG);
      this.shadow = this.host.attachShadow({ mode: "open" });
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.shadow.adoptedStyleSheets = [sheet];
      } catch {
        this.shadow.append(h("style", null, CSS));
      }

      this.launcher = h("button", { type: "button", class: "launcher", part: "launcher",
        "aria-label": this.t.open, "aria-expanded": "false", "aria-controls": "wz-panel" }, icon("chat", 26));
      this.logo = h("img", { class: "logo", alt: "", hidden: true, referrerpolicy: "no-referrer" });
      this.titleEl = h("h2", { class: "title" }, this.t.chat);
      this.newBtn = h("button", { type: "button", class: "icon-btn", part: "new-conversation",
        "aria-label": this.t.newConversation, title: this.t.newConversation }, icon("restart", 20));
      this.closeBtn = h("button", { type: "button", class: "icon-btn", part: "close",
        "aria-label": this.t.close, title: this.t.close }, icon("close", 20));
      this.messagesEl = h("div", { class: "messages", part: "messages", "aria-live": "polite" });
      this.chipsEl = h("div", { class: "chips", part: "suggestions", hidden: true });
      this.hintEl = h("div", { class: "hint", part: "hint", "aria-live": "polite" });
      this.input = h("textarea", { class: "input", part: "input", rows: "1", enterkeyhint: "send",
        "aria-label": this.t.placeholder, placeholder: this.t.placeholder });
      this.sendBtn = h("button", { type: "submit", class: "send", part: "send", "aria-label": this.t.send,
        title: this.t.send, disabled: true }, icon("send", 20));
      this.composer = h("form", { class: "composer", part: "composer" }, this.input, this.sendBtn);
      this.footerLink = h("a", { href: `${this.api}/`, target: "_blank", rel: "noopener noreferrer" }, this.t.poweredBy);
      this.footer = h("div", { class: "footer", part: "footer", hidden: true }, this.footerLink);
      this.panel = h("div", { class: "panel", part: "panel", id: "wz-panel", role: "dialog",
        "aria-label": this.t.chat, hidden: true },
      h("div", { class: "header" }, this.logo, this.titleEl, this.newBtn, this.closeBtn),
      this.messagesEl, this.chipsEl, this.hintEl, this.composer, this.footer);
      this.root = h("div", { class: "wz" }, this.launcher, this.panel);
      this.shadow.append(this.root);

      this.launcher.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(true)));
      this.closeBtn.addEventListener("click", () => this.close(true, true));
      this.newBtn.addEventListener("click", () => this.newConversation());
      this.root.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && this.isOpen) {
          e.stopPropagation();
          this.close(true, true);
        }
      });
      this.composer.addEventListener("submit", (e) => {
        e.preventDefault();
        this.send(this.input.value);
      });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.send(this.input.value);
        }
      });
      this.input.addEventListener("input", () => this.autosize());
      window.addEventListener("online", () => {
        if (!this.config && this.configError && this.configError.code === "offline") this.loadConfig();
      });
    }

    autosize() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(Math.max(this.input.scrollHeight + 2, 40), 120)}px`;
    }

    // ---- Config ----

    start() {
      this.loadConfig();
      if (this.openOnLoad) this.open(true);
    }

    async loadConfig() {
      this.configError = null;
      this.messagesEl.replaceChildren(h("div", { class: "note" }, this.t.loading));
      if (!this.key) return this.showConfigError({ code: "widget_key_invalid" });
      let res;
      try {
        res = await this.request(`/v1/widgets/${encodeURIComponent(this.key)}/config`, { withKey: false });
      } catch {
        return this.showConfigError({ code: "offline" });
      }
      if (!res.ok) return this.showConfigError(await readError(res));
      let data;
      try { data = await res.json(); } catch { data = null; }
      if (!data || typeof data !== "object") return this.showConfigError({ code: "invalid_config" });
      this.applyConfig(data);
    }

    showConfigError(err) {
      this.configError = err;
      this.messagesEl.replaceChildren();
      const retry = FATAL_CODES.has(err.code) ? null : () => this.loadConfig();
      this.messagesEl.append(this.errorEl(err, { retry }));
      this.chipsEl.hidden = true;
      this.input.disabled = true;
      this.sendBtn.disabled = true;
    }

    /** Shows a config; `live` (the dashboard preview) re-renders without counting a load. */
    applyConfig(c, live = false) {
      this.rawConfig = c;
      this.setLanguage(typeof c.language === "string" ? c.language : "en");
      const t = this.t;
      const lead = c.lead_form && typeof c.lead_form === "object" ? c.lead_form : {};
      const after = lead.after_messages;
      const color = /^#[0-9a-fA-F]{6}$/.test(c.primary_color) ? c.primary_color : DEFAULT_COLOR;
      const cfg = (this.config = {
        title: str(c.title) || t.chat,
        welcome: str(c.welcome_message),
        // Empty, or the English default stored before widgets spoke other
        // languages: the widget's own words.
        placeholder: (str(c.placeholder) !== "Ask a question\u2026" && str(c.placeholder)) || t.placeholder,
        suggestions: (Array.isArray(c.suggested_questions) ? c.suggested_questions : [])
          .map(str).filter(Boolean).slice(0, 8),
        lead: {
          enabled: lead.enabled === true,
          fields: [...new Set(Array.isArray(lead.fields) ? lead.fields : [])]
            .filter((f) => Object.prototype.hasOwnProperty.call(LEAD_FIELDS, f)),
          after: typeof after === "number" && Number.isFinite(after) && after >= 0 ? Math.floor(after) : 1,
        },
      });
      // Colours go in through CSSOM custom properties (allowed under strict CSPs).
      this.root.style.setProperty("--wz-primary", color);
      this.root.style.setProperty("--wz-on-primary", onColor(color));
      if (c.position === "left") this.host.setAttribute("data-position", "left");
      else this.host.removeAttribute("data-position");
      // The panel names the exact tag (de-AT); the root the language spoken.
      if (typeof c.language === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(c.language)) {
        this.panel.setAttribute("lang", c.language);
      } else {
        this.panel.setAttribute("lang", this.lang);
      }
      this.titleEl.textContent = cfg.title;
      this.panel.setAttribute("aria-label", cfg.title);
      const logo = safeUrl(c.logo_url);
      this.logo.hidden = !logo;
      if (logo) this.logo.src = logo;
      this.input.placeholder = cfg.placeholder;
      this.input.setAttribute("aria-label", cfg.placeholder);
      this.input.disabled = false;
      this.footer.hidden = c.show_branding !== true;
      this.chipsEl.replaceChildren(...cfg.suggestions.map((q) => {
        const chip = h("button", { type: "button", class: "chip" }, q);
        chip.addEventListener("click", () => this.send(q));
        return chip;
      }));
      this.setBusy(false);
      this.renderTranscript();
      if (live) return;

      this.postEvent("widget_loaded");
      this.maybeSendOpened();
      const secs = c.auto_open_secs;
      if (typeof secs === "number" && Number.isFinite(secs) && secs > 0) {
        setTimeout(() => {
          // Once per page load, and never after the visitor closed it this session.
          if (!this.everOpened && this.session.get(this.closedKey) !== "1") this.open(false);
        }, secs * 1000);
      }
    }

    // ---- Open / close ----

    open(focus) {
      if (this.isOpen) return;
      this.isOpen = true;
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this.launcher.setAttribute("aria-label", this.t.close);
      this.launcher.replaceChildren(icon("close", 24));
      this.everOpened = true;
      this.maybeSendOpened();
      this.scrollToBottom();
      if (focus) (this.input.disabled ? this.closeBtn : this.input).focus({ preventScroll: true });
    }

    close(byVisitor, focusLauncher) {
      if (!this.isOpen) return;
      this.isOpen = false;
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-label", this.t.open);
      this.launcher.replaceChildren(icon("chat", 26));
      if (byVisitor) this.session.set(this.closedKey, "1");
      if (focusLauncher) this.launcher.focus();
    }

    maybeSendOpened() {
      if (this.everOpened && this.config && !this.openedSent) {
        this.openedSent = true;
        this.postEvent("opened");
      }
    }

    // ---- Transcript rendering ----

    renderTranscript() {
      this.messagesEl.replaceChildren();
      this.leadFormEl = null;
      if (this.config.welcome) {
        this.messagesEl.append(h("div", { class: "msg assistant", "data-role": "welcome" },
          h("div", { class: "bubble md" }, renderMarkdown(this.config.welcome))));
      }
      for (const m of this.conv.messages) {
        this.messagesEl.append(m.role === "visitor" ? this.visitorEl(m.text)
          : this.answerView(m, m.error ? "error" : "done").el);
      }
      this.updateChips();
      this.maybeShowLeadForm(false);
      this.scrollToBottom();
    }

    updateChips() {
      const started = this.busy || this.conv.messages.some((m) => m.role === "visitor");
      this.chipsEl.hidden = started || !this.config || !this.config.suggestions.length;
    }

    visitorEl(text) {
      return h("div", { class: "msg visitor", "data-role": "visitor" }, h("div", { class: "bubble" }, text));
    }

    /** An assistant message element plus the handles needed to update it. */
    answerView(m, state) {
      const content = h("div", { class: "md" });
      const bubble = h("div", { class: "bubble" }, content);
      const el = h("div", { class: "msg assistant", "data-role": "assistant", "data-state": state }, bubble);
      const view = { m, el, bubble, content, sources: null };
      this.renderAnswerText(view);
      if (m.sources.length) this.setSources(view, m.sources);
      if (m.error) bubble.append(this.errorEl({ code: m.error }, { live: false }));
      if (m.message_id && state === "done") this.addFeedback(view);
      return view;
    }

    renderAnswerText(view) {
      if (!view.m.text && view.el.dataset.state === "streaming") {
        view.content.replaceChildren(h("span", { class: "typing", role: "img", "aria-label": this.t.typing },
          h("span"), h("span"), h("span")));
      } else {
        view.content.replaceChildren(renderMarkdown(view.m.text));
      }
    }

    setSources(view, list) {
      const items = (Array.isArray(list) ? list : []).filter((s) => s && typeof s === "object").slice(0, 20)
        .map((s) => ({ title: str(s.title), url: typeof s.url === "string" ? s.url : "" }));
      view.m.sources = items;
      if (view.sources) view.sources.remove();
      view.sources = null;
      if (!items.length) return;
      const ol = h("ol");
      for (const s of items) {
        const href = safeUrl(s.url);
        const label = s.title || (href ? new URL(href).hostname : this.t.source);
        ol.append(h("li", null, href
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, label)
          : label));
      }
      view.sources = h("div", { class: "sources", part: "sources" }, h("div", null, this.t.sources), ol);
      view.content.after(view.sources);
    }

    /** Thumbs up/down for a finished answer; "down" offers an optional reason. */
    addFeedback(view) {
      const m = view.m;
      const t = this.t;
      const up = h("button", { type: "button", "aria-label": t.helpful, title: t.helpful }, icon("up", 16));
      const down = h("button", { type: "button", "aria-label": t.notHelpful, title: t.notHelpful },
        icon("down", 16));
      const row = h("div", { class: "feedback", part: "feedback" }, up, down);
      let reasonForm = null;
      const sync = () => {
        up.setAttribute("aria-pressed", String(m.rating === "up"));
        down.setAttribute("aria-pressed", String(m.rating === "down"));
      };
      const hideReason = () => { if (reasonForm) reasonForm.remove(); reasonForm = null; };
      const showReason = () => {
        const input = h("input", { type: "text", maxlength: "500", "aria-label": t.whatWrong,
          placeholder: t.whatWrong });
        reasonForm = h("form", { class: "reason", part: "feedback-reason" }, input,
          h("button", { type: "submit", class: "btn" }, t.send));
        reasonForm.addEventListener("submit", async (e) => {
          e.preventDefault();
          const reason = input.value.trim().slice(0, 500);
          const form = reasonForm;
          if (!reason) return hideReason();
          for (const c of form.elements) c.disabled = true;
          const ok = await this.postFeedback(m.message_id, "down", reason);
          if (ok) form.replaceWith(h("div", { class: "thanks" }, t.thanksFeedback));
          else for (const c of form.elements) c.disabled = false;
          if (ok && reasonForm === form) reasonForm = null;
        });
        row.after(reasonForm);
        input.focus();
      };
      const rate = async (rating) => {
        if (m.rating === rating) return;
        const previous = m.rating;
        m.rating = rating;
        sync();
        if (rating === "down") showReason(); else hideReason();
        if (await this.postFeedback(m.message_id, rating)) return this.saveConversation();
        if (m.rating === rating) { m.rating = previous; sync(); hideReason(); }
      };
      up.addEventListener("click", () => rate("up"));
      down.addEventListener("click", () => rate("down"));
      sync();
      view.el.append(row);
    }

    async postFeedback(messageId, rating, reason) {
      const body = { visitor_id: this.visitorId, message_id: messageId, rating };
      if (reason) body.reason = reason;
      try {
        return (await this.request("/v1/feedback", { body })).ok;
      } catch {
        return false;
      }
    }

    /**
     * An error element ([part=error], text only), wrapped with a "Try again"
     * button when retry is given. Only the newest error is the live
     * [part=error]: older banners are removed, older in-answer errors keep
     * their text but lose the part attribute.
     */
    errorEl(err, { retry = null, banner = false, live = true } = {}) {
      if (live) this.clearErrors();
      const el = h("div", { class: "error", "data-code": err.code || "unknown" }, errorText(err, this.t));
      if (live) el.setAttribute("part", "error");
      if (!retry && !banner) return el;
      const box = h("div", { class: banner ? "error-box banner" : "error-box" }, el);
      if (retry) {
        const btn = h("button", { type: "button", class: "btn" }, this.t.tryAgain);
        btn.addEventListener("click", retry);
        box.append(btn);
      }
      return box;
    }

    clearErrors() {
      for (const old of this.shadow.querySelectorAll('[part="error"]')) {
        const banner = old.closest(".banner");
        if (banner) banner.remove();
        else old.removeAttribute("part");
      }
    }

    showHint(text) {
      this.hintEl.textContent = text;
    }

    setBusy(busy) {
      this.busy = busy;
      this.sendBtn.disabled = busy || !this.config || this.input.disabled;
      this.messagesEl.setAttribute("aria-busy", String(busy));
    }

    scrollToBottom() {
      this.messagesEl.scrollTop = this.messagesEl.scrollHeight;
    }

    nearBottom() {
      const m = this.messagesEl;
      return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
    }

    // ---- Sending ----

    async send(raw) {
      if (!this.config || this.input.disabled) return;
      if (this.busy) return this.showHint(this.t.waitAnswer);
      const text = String(raw).trim();
      if (!text) return this.showHint(this.t.typeFirst);
      const length = [...text].length;
      if (length > MAX_MESSAGE_CHARS) {
        return this.showHint(fill(this.t.tooLong, { length, max: MAX_MESSAGE_CHARS }));
      }
      this.showHint("");
      if (navigator.onLine === false) {
        this.messagesEl.append(this.errorEl({ code: "offline" }, { banner: true }));
        return this.scrollToBottom();
      }
      this.clearErrors();
      if (this.input.value.trim() === text) this.input.value = "";
      this.autosize();

      const answer = { role: "assistant", text: "", sources: [], message_id: null, rating: null, error: null };
      const visitor = this.visitorEl(text);
      const view = this.answerView(answer, "streaming");
      this.messagesEl.append(visitor, view.el);
      this.setBusy(true);
      this.updateChips();
      this.scrollToBottom();

      const ctl = new AbortController();
      this.abortCtl = ctl;
      const finish = () => {
        if (this.abortCtl !== ctl) return; // superseded by "New conversation"
        this.abortCtl = null;
        this.setBusy(false);
        this.updateChips();
        this.showHint("");
      };
      // The request never reached a stream: take the message back so it can be retried.
      const failEarly = (err) => {
        visitor.remove();
        view.el.remove();
        if (!this.input.value.trim()) { this.input.value = text; this.autosize(); }
        this.messagesEl.append(this.errorEl(err, { banner: true }));
        if (FATAL_CODES.has(err.code)) this.input.disabled = true;
        finish();
        if (err.code === "conversation_limit_reached" && err.leadForm) this.maybeShowLeadForm(true);
        this.scrollToBottom();
      };

      let res;
      try {
        res = await this.request("/v1/chat", {
          accept: "text/event-stream", signal: ctl.signal,
          body: { visitor_id: this.visitorId, conversation_id: this.conv.conversation_id, message: text,
            page_url: location.href },
        });
      } catch {
        return ctl.signal.aborted ? undefined : failEarly({ code: "offline" });
      }
      if (!res.ok) {
        const err = await readError(res);
        return ctl.signal.aborted ? undefined : failEarly(err);
      }
      if (ctl.signal.aborted) return;
      this.conv.messages.push({ role: "visitor", text, sources: [], message_id: null, rating: null, error: null });
      this.saveConversation();

      try {
        const type = res.headers.get("Content-Type") || "";
        if (type.includes("application/json")) {
          const data = await res.json();
          if (ctl.signal.aborted) return;
          this.onStreamEvent(view, "meta", data);
          this.onStreamEvent(view, "token", { text: typeof data.answer === "string" ? data.answer : "" });
          this.onStreamEvent(view, "sources", data);
          this.onStreamEvent(view, "done", data);
        } else if (res.body) {
          await readEventStream(res.body, (name, data) => {
            if (!ctl.signal.aborted) this.onStreamEvent(view, name, data);
          });
        }
        if (!ctl.signal.aborted && view.el.dataset.state === "streaming") {
          this.failAnswer(view, { code: "stream_interrupted" }); // ended without done/error
        }
      } catch {
        if (ctl.signal.aborted) return;
        if (view.el.dataset.state === "streaming") this.failAnswer(view, { code: "offline" });
      }
      if (ctl.signal.aborted) return;
      this.conv.messages.push(answer);
      this.saveConversation();
      finish();
      this.maybeShowLeadForm(view.offerLeadForm === true && this.conv.lead !== "dismissed");
    }

    onStreamEvent(view, name, data) {
      if (view.el.dataset.state !== "streaming") return; // nothing after done/error
      const follow = this.nearBottom();
      if (name === "meta") {
        if (typeof data.conversation_id === "string" && data.conversation_id) {
          this.conv.conversation_id = data.conversation_id;
          this.saveConversation();
        }
      } else if (name === "token") {
        if (typeof data.text !== "string") return;
        view.m.text += data.text;
        this.renderAnswerText(view); // re-render the growing Markdown on every token
      } else if (name === "sources") {
        this.setSources(view, data.sources);
      } else if (name === "done") {
        if (typeof data.message_id === "string" && data.message_id) view.m.message_id = data.message_id;
        // A refusal that offers to take contact details: the form opens.
        view.offerLeadForm = data.offer_lead_form === true;
        view.el.dataset.state = "done";
        this.renderAnswerText(view);
        if (view.m.message_id) this.addFeedback(view);
      } else if (name === "error") {
        this.failAnswer(view, { code: typeof data.code === "string" ? data.code : "unknown",
          message: typeof data.message === "string" ? data.message : "" });
      }
      if (follow) this.scrollToBottom();
    }

    failAnswer(view, err) {
      view.el.dataset.state = "error";
      view.m.error = err.code;
      this.renderAnswerText(view);
      view.bubble.append(this.errorEl(err));
      if (err.code === "conversation_limit_reached" && err.leadForm) this.maybeShowLeadForm(true);
    }

    newConversation() {
      if (this.abortCtl) this.abortCtl.abort();
      this.abortCtl = null;
      this.conv = { conversation_id: null, messages: [], lead: null };
      this.saveConversation();
      this.showHint("");
      if (!this.config) return;
      this.setBusy(false);
      this.renderTranscript();
      if (!this.input.disabled) this.input.focus();
    }

    // ---- Lead form ----

    /** Shows the contact form when due (or forced, after conversation_limit_reached). */
    maybeShowLeadForm(force) {
      const lead = this.config && this.config.lead;
      if (!lead || this.conv.lead === "submitted") return;
      if (!force) {
        if (this.leadFormEl || !lead.enabled || !lead.fields.length || this.conv.lead === "dismissed") return;
        if (this.busy) return;
        const sent = this.conv.messages.filter((m) => m.role === "visitor").length;
        if (sent < lead.after) return;
      }
      if (!this.leadFormEl) this.leadFormEl = this.buildLeadForm(lead.fields.length ? lead.fields : ["name", "email", "message"]);
      this.messagesEl.append(this.leadFormEl); // (re)placed at the end
      this.scrollToBottom();
    }

    buildLeadForm(fields) {
      const controls = {};
      const t = this.t;
      const form = h("form", { class: "lead", part: "lead-form" }, h("p", null, t.leadIntro));
      for (const name of fields) {
        const spec = LEAD_FIELDS[name];
        const control = spec.textarea
          ? h("textarea", { name, rows: "3", maxlength: spec.max })
          : h("input", { name, type: spec.type, autocomplete: spec.autocomplete, maxlength: spec.max });
        controls[name] = control;
        form.append(h("label", { class: "field" }, h("span", null, t[name]), control));
      }
      const status = h("div", { "aria-live": "polite" });
      const submit = h("button", { type: "submit", class: "btn primary" }, t.send);
      const dismiss = h("button", { type: "button", class: "btn" }, t.noThanks);
      form.append(status, h("div", { class: "actions" }, submit, dismiss));
      dismiss.addEventListener("click", () => {
        form.remove();
        this.leadFormEl = null;
        this.conv.lead = "dismissed";
        this.saveConversation();
        this.input.focus();
      });
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const body = { visitor_id: this.visitorId };
        if (this.conv.conversation_id) body.conversation_id = this.conv.conversation_id;
        for (const [name, control] of Object.entries(controls)) {
          if (control.value.trim()) body[name] = control.value.trim();
        }
        status.replaceChildren();
        if (Object.keys(body).every((k) => k === "visitor_id" || k === "conversation_id")) {
          return status.append(t.fillOne);
        }
        submit.disabled = true;
        let err = null;
        try {
          const res = await this.request("/v1/contact", { body });
          if (!res.ok) err = await readError(res);
        } catch {
          err = { code: "offline" };
        }
        submit.disabled = false;
        if (err) return status.append(this.errorEl(err));
        this.conv.lead = "submitted";
        this.saveConversation();
        this.leadFormEl = null;
        form.replaceWith(h("div", { class: "note", part: "lead-thanks" }, t.leadThanks));
      });
      return form;
    }
  }

  /** Black or white text, whichever contrasts more with the #rrggbb colour. */
  function onColor(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) ? "#fff" : "#111";
  }

  // ---- Boot ------------------------------------------------------------------

  try {
    if (window.customElements && !customElements.get(TAG)) {
      customElements.define(TAG, class extends HTMLElement {});
    }
  } catch { /* another copy won the race; any <witzo-chat> works as a shadow host */ }

  const widget = new Widget({
    key: script.getAttribute("data-witzo-key") || "",
    api: (script.getAttribute("data-witzo-api") || "").trim().replace(/\/+$/, ""),
    preview: script.getAttribute("data-witzo-preview") || "",
    openOnLoad: script.getAttribute("data-witzo-open") === "true",
  });
  const mount = () => {
    document.body.append(widget.host);
    widget.start();
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
